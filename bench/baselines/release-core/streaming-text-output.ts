import type { voice } from '@livekit/agents';
import type { OverflowPolicy, StreamEvent, TextCompleteEvent, TextDeltaEvent } from './events.js';
import { flatten, RopeBudget } from './flatten.js';
import { createBacklogBuffer, createReaderBuffer, type ReaderBuffer } from './reader-buffer.js';
import { type ReaderSource, StreamReader } from './stream-reader.js';
import { isTimedString, type TextOutput, TextOutputBase, type TimedString } from './text-output.js';

export interface StreamingTextOutputOptions {
  /** Receives every `captureText`/`flush`, in order, after this output has taken it. */
  nextInChain?: TextOutput | undefined;
  /** Events held per reader before the overflow policy applies. Default 1024. */
  bufferSize?: number;
  /** What a full reader does to `captureText`. Default 'coalesce'. */
  overflow?: OverflowPolicy;
  /**
   * Events kept for the next `stream()` reader while none is active (default `bufferSize`).
   * 0 keeps none: for code that only uses `subscribe()`, which then pays nothing for it.
   */
  backlogSize?: number;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** Anything with a session's output slot: an `AgentSession`, or a test double of one. */
export type SessionWithOutput = Pick<voice.AgentSession, 'output'>;

export const DEFAULT_BUFFER_SIZE = 1024;

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A `TextOutput` that turns the framework's `captureText`/`flush` calls into typed events, read
 * with `for await`. Attach it with `session.output.transcription = out` or
 * `StreamingTextOutput.attach(session)`.
 *
 * After `close()`, calls from the framework are still forwarded to `nextInChain`, but nothing is
 * buffered or accumulated: a closed output costs nothing and never grows.
 */
export class StreamingTextOutput extends TextOutputBase implements ReaderSource {
  readonly label = 'streaming_text';
  readonly bufferSize: number;
  readonly overflow: OverflowPolicy;

  /** Copy-on-write: a reader can detach while an event is being dispatched to the list. */
  private readers: readonly StreamReader[] = [];
  private readonly streamReaders = new WeakSet<StreamReader>();
  private activeStreamReaders = 0;
  /** Events kept for the next `stream()` reader while none is active; undefined when disabled. */
  private readonly backlog: ReaderBuffer | undefined;
  private accumulated = '';
  private readonly rope = new RopeBudget();
  private generationCount = 0;
  private inGeneration = false;
  private closed = false;

  constructor(options: StreamingTextOutputOptions = {}) {
    super(options.nextInChain);
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    if (!Number.isInteger(bufferSize) || bufferSize < 1) {
      throw new RangeError(`StreamingTextOutput: bufferSize must be a whole number >= 1, got ${bufferSize}`);
    }
    this.bufferSize = bufferSize;
    this.overflow = options.overflow ?? 'coalesce';
    // Validates the policy now rather than at the first reader.
    createReaderBuffer(this.overflow, 1);
    const backlogSize = options.backlogSize ?? bufferSize;
    if (!Number.isInteger(backlogSize) || backlogSize < 0) {
      throw new RangeError(
        `StreamingTextOutput: backlogSize must be a whole number >= 0, got ${backlogSize}`,
      );
    }
    this.backlog = backlogSize === 0 ? undefined : createBacklogBuffer(backlogSize);
  }

  /**
   * Puts a new output on `session.output.transcription`. If one is already there (the room's
   * transcription output, say), the new output chains in front of it instead of replacing it.
   */
  static attach(
    session: SessionWithOutput,
    options: Omit<StreamingTextOutputOptions, 'nextInChain'> = {},
  ): StreamingTextOutput {
    const existing = session.output.transcription ?? undefined;
    const output = new StreamingTextOutput({ ...options, nextInChain: existing });
    session.output.transcription = output;
    return output;
  }

  /** Text of the current generation. */
  get accumulatedText(): string {
    return this.accumulated;
  }

  /** Generations seen so far, counting the one in progress. */
  get generation(): number {
    return this.generationCount;
  }

  /** A generation has text and has not been flushed yet. */
  get isGenerating(): boolean {
    return this.inGeneration;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  captureText(text: string | TimedString): Promise<void> {
    if (!this.closed) {
      // Throws synchronously for overflow 'error'; turned into a rejection, as from an async method.
      let waits: Promise<unknown> | undefined;
      try {
        waits = this.reserveRoom();
      } catch (error) {
        return Promise.reject(error);
      }
      if (waits !== undefined) return this.captureAfter(waits, text);
      this.emitDelta(text);
    }
    // Not an async method: the common path allocates no promise of its own.
    return this.nextInChain === undefined ? RESOLVED : this.nextInChain.captureText(text);
  }

  flush(): void {
    if (!this.closed) {
      if (!this.inGeneration) this.generationCount++;
      const event: TextCompleteEvent = {
        type: 'text_complete',
        text: flatten(this.accumulated),
        generation: this.generationCount,
      };
      this.inGeneration = false;
      this.accumulated = '';
      this.rope.reset();
      this.dispatch(event);
    }
    this.nextInChain?.flush();
  }

  /** Ends every reader: each delivers what it already holds, then its loop ends normally. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const readers = this.readers;
    this.readers = [];
    for (const reader of readers) reader.end();
  }

  /**
   * Events until and including the next `text_complete`. Events produced while no `stream()`
   * reader was active are delivered first.
   */
  stream(options: ReadOptions = {}): StreamReader {
    const buffer = createReaderBuffer(this.overflow, this.bufferSize);
    if (this.activeStreamReaders === 0 && this.backlog !== undefined) moveAll(this.backlog, buffer);
    const reader = new StreamReader(buffer, this, { signal: options.signal, untilComplete: true });
    if (this.closed) {
      reader.end();
      return reader;
    }
    this.streamReaders.add(reader);
    this.activeStreamReaders++;
    return this.register(reader);
  }

  [Symbol.asyncIterator](): StreamReader {
    return this.stream();
  }

  /** An independent reader of every event from now on, across generations, until close/abort/break. */
  subscribe(options: ReadOptions = {}): StreamReader {
    const reader = new StreamReader(createReaderBuffer(this.overflow, this.bufferSize), this, {
      signal: options.signal,
    });
    if (this.closed) {
      reader.end();
      return reader;
    }
    return this.register(reader);
  }

  /** @internal A reader has finished; see `ReaderSource`. */
  detach(reader: StreamReader, leftovers: ReaderBuffer): void {
    this.readers = this.readers.filter((r) => r !== reader);
    if (!this.streamReaders.has(reader)) return;
    this.streamReaders.delete(reader);
    // What a stream() reader did not read belongs to the next one.
    if (--this.activeStreamReaders === 0 && !this.closed && this.backlog !== undefined) {
      moveAll(leftovers, this.backlog);
    }
  }

  private register(reader: StreamReader): StreamReader {
    this.readers = [...this.readers, reader];
    reader.start();
    return reader;
  }

  /** The `block` path: wait for every reader to have room, then take the chunk. */
  private async captureAfter(waits: Promise<unknown>, text: string | TimedString): Promise<void> {
    await waits;
    if (!this.closed) this.emitDelta(text);
    if (this.nextInChain !== undefined) await this.nextInChain.captureText(text);
  }

  /** Asks every reader for room first, so a refusal (overflow 'error') changes nothing. */
  private reserveRoom(): Promise<unknown> | undefined {
    let waits: Promise<void>[] | undefined;
    for (const reader of this.readers) {
      const wait = reader.reserve();
      if (wait === undefined) continue;
      waits ??= [];
      waits.push(wait);
    }
    return waits === undefined ? undefined : Promise.all(waits);
  }

  private emitDelta(text: string | TimedString): void {
    const timed = typeof text !== 'string' && isTimedString(text);
    const delta = typeof text === 'string' ? text : timed ? text.text : String(text);
    if (!this.inGeneration) {
      this.inGeneration = true;
      this.generationCount++;
    }
    this.accumulated += delta;
    if (this.rope.added(this.accumulated.length)) flatten(this.accumulated);
    const event: TextDeltaEvent = {
      type: 'text_delta',
      delta,
      accumulated: this.accumulated,
      generation: this.generationCount,
    };
    if (timed) {
      if (text.startTime !== undefined) event.startTime = text.startTime;
      if (text.endTime !== undefined) event.endTime = text.endTime;
    }
    this.dispatch(event);
  }

  private dispatch(event: StreamEvent): void {
    // Decided before delivery: delivering a text_complete can end the last stream() reader,
    // and the event it just read must not also land in the backlog.
    const backlog = this.activeStreamReaders === 0 ? this.backlog : undefined;
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) readers[i]!.offer(event);
    backlog?.push(event);
  }
}

function moveAll(from: ReaderBuffer, to: ReaderBuffer): void {
  for (let event = from.shift(); event !== undefined; event = from.shift()) to.push(event);
}
