import type { voice } from '@livekit/agents';
import { type AttachTimingOptions, attachOutputs } from './attach.js';
import type {
  OverflowPolicy,
  StreamEvent,
  TextCompleteEvent,
  TextDeltaEvent,
  TextEvent,
  ToolStepEvent,
} from './events.js';
import { flatten, RopeBudget } from './flatten.js';
import { OptionChecks } from './option-checks.js';
import { createBacklogBuffer, createReaderBuffer, type ReaderBuffer } from './reader-buffer.js';
import { type SessionWithSpeech, watchToolSteps } from './run-steps.js';
import { type ReaderSource, readerControl, type StreamReader } from './stream-reader.js';
import { isTimedString, type TextOutput, TextOutputBase, type TimedString } from './text-output.js';
import { Waiters } from './waiters.js';

export interface StreamingTextOutputOptions {
  /** Receives every `captureText`/`flush`, in order, after this output has taken it. */
  nextInChain?: TextOutput | undefined;
  /** Events held per reader before the overflow policy applies. Default 1024. */
  bufferSize?: number;
  /** What happens when a reader is `bufferSize` events behind. Default 'coalesce'. */
  overflow?: OverflowPolicy;
  /**
   * Events kept for the next `stream()` reader while none is active (default `bufferSize`).
   * 0 keeps none: for code that only uses `subscribe()`, which then pays nothing for it.
   */
  backlogSize?: number;
}

/** `StreamingTextOutput.attach()` options: which text (`timing`), and the options of each output it creates. */
export interface AttachOptions extends AttachTimingOptions, Omit<StreamingTextOutputOptions, 'nextInChain'> {}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** Anything with a session's output slot: an `AgentSession`, or a test double of one. */
export type SessionWithOutput = Pick<voice.AgentSession, 'output'>;

export const DEFAULT_BUFFER_SIZE = 1024;

/**
 * The events an output from `attach(session, options)` yields: tool steps only when `toolSteps`
 * may be true (a literal `true`, or a `boolean` known only at run time).
 */
type AttachedEvents<O> = 'toolSteps' extends keyof O
  ? true extends O['toolSteps' & keyof O]
    ? StreamEvent
    : TextEvent
  : TextEvent;

/**
 * Tool steps go only to an output typed to yield them (`StreamingTextOutput<StreamEvent>`): on a
 * text-only one, `watchToolSteps`/`addToolStep` take nothing. A parameter, not a `this` type, so an
 * output of text events stays assignable where any output is expected.
 */
type IfToolSteps<E extends StreamEvent, T> = ToolStepEvent extends E ? T : never;

const RESOLVED: Promise<void> = Promise.resolve();

const check = new OptionChecks('StreamingTextOutput');

/** `signal` of `stream()` / `subscribe()`: an AbortSignal or nothing, checked before any reader exists. */
function checkSignal(options: ReadOptions | undefined): AbortSignal | undefined {
  const signal = options?.signal;
  if (signal === undefined) return undefined;
  if (
    signal === null ||
    typeof signal !== 'object' ||
    typeof signal.addEventListener !== 'function' ||
    typeof signal.aborted !== 'boolean'
  ) {
    throw check.typeError('signal', 'an AbortSignal', signal);
  }
  return signal;
}

function checkNextInChain(value: unknown): TextOutput | undefined {
  if (value === undefined || value === null) return undefined;
  const next = value as Partial<TextOutput>;
  if (
    typeof next !== 'object' ||
    typeof next.captureText !== 'function' ||
    typeof next.flush !== 'function'
  ) {
    throw check.typeError('nextInChain', 'a TextOutput (with captureText and flush)', value);
  }
  return value as TextOutput;
}

/**
 * A `TextOutput` that turns the framework's `captureText`/`flush` calls into typed events, read
 * with `for await`. Attach it with `session.output.transcription = out` or
 * `StreamingTextOutput.attach(session)`.
 *
 * After `close()`, calls from the framework are still forwarded to `nextInChain`, but nothing is
 * buffered or accumulated: a closed output costs nothing and never grows.
 *
 * `E` is what its readers yield, following the runtime: text events only, unless tool steps were
 * asked for (`attach(session, { toolSteps: true })` types it `StreamingTextOutput<StreamEvent>`;
 * write `new StreamingTextOutput<StreamEvent>()` to add steps yourself).
 */
export class StreamingTextOutput<E extends StreamEvent = TextEvent> extends TextOutputBase {
  readonly label = 'streaming_text';
  readonly bufferSize: number;
  readonly overflow: OverflowPolicy;

  /** Copy-on-write: a reader can detach while an event is being dispatched to the list. */
  private readers: readonly StreamReader[] = [];
  private readonly streamReaders = new WeakSet<StreamReader>();
  /** What readers call back into; not a public method, so users cannot detach a reader. */
  private readonly source: ReaderSource = { detach: (reader, leftovers) => this.detach(reader, leftovers) };
  private activeStreamReaders = 0;
  /** Events kept for the next `stream()` reader while none is active; undefined when disabled. */
  private readonly backlog: ReaderBuffer | undefined;
  private accumulated = '';
  private readonly rope = new RopeBudget();
  private generationCount = 0;
  private inGeneration = false;
  private closed = false;
  /** Tool steps that arrived while a generation was open: delivered right after its text_complete. */
  private heldSteps: ToolStepEvent[] = [];
  /**
   * Tool steps that arrived between generations, for at most one macrotask: the text that asked
   * for a call may still be on its way (a one-chunk text can reach us after the tool started).
   */
  private pendingSteps: ToolStepEvent[] = [];
  private pendingRelease: ReturnType<typeof setImmediate> | undefined;
  private readonly idleWaiters = new Waiters();
  private stopWatchingSteps: (() => void) | undefined;

  constructor(options: StreamingTextOutputOptions = {}) {
    super(checkNextInChain(options?.nextInChain));
    const o = (options ?? {}) as Record<string, unknown>;
    const bufferSize = check.integer('bufferSize', o.bufferSize, DEFAULT_BUFFER_SIZE, 1);
    this.bufferSize = bufferSize;
    this.overflow = check.oneOf<OverflowPolicy>(
      'overflow',
      o.overflow,
      ['coalesce', 'block', 'error'],
      'coalesce',
    );
    const backlogSize = check.integer('backlogSize', o.backlogSize, bufferSize, 0);
    this.backlog = backlogSize === 0 ? undefined : createBacklogBuffer(backlogSize);
  }

  /**
   * Puts a new output on `session.output.transcription`. If one is already there (the room's
   * transcription output, say), the new output chains in front of it instead of replacing it;
   * attached before `session.start({ room })`, it chains in front of the room's output once the
   * session starts (`src/core/attach.ts`). `timing` picks generated or spoken text (`src/timing/`).
   */
  static attach<const O extends AttachOptions = Record<never, never>>(
    session: SessionWithOutput,
    options?: O,
  ): StreamingTextOutput<AttachedEvents<O>> &
    (O extends { timing: 'both' } ? { readonly spoken: StreamingTextOutput } : unknown) {
    return attachOutputs(session, options ?? {}, (o) => new StreamingTextOutput(o)) as never;
  }

  /**
   * Delivers the session's tool steps to every reader from now on (what `attach(session,
   * { toolSteps: true })` does). Ends with `close()`; the returned function stops it sooner.
   */
  watchToolSteps(session: IfToolSteps<E, SessionWithSpeech>): () => void {
    this.stopWatchingSteps?.();
    const stop = watchToolSteps(session, (step) => this.addToolStep(step as IfToolSteps<E, ToolStepEvent>));
    this.stopWatchingSteps = () => {
      stop();
      this.stopWatchingSteps = undefined;
    };
    return this.stopWatchingSteps;
  }

  /**
   * Records a tool step. The framework may start a tool while the text of the generation that
   * asked for it is still being forwarded, so a step that arrives while a generation is open is
   * held and delivered right after that generation's `text_complete`: readers see the true order,
   * text before the call, the call, its output, the text after it. A step that arrives between
   * generations waits one macrotask: a one-chunk text before the call can reach us after the tool
   * started, and then the step follows that text's `text_complete` too. A generation that opens
   * after a tool's output is the answer to it: the waiting steps go out before its text. Steps are
   * never merged, dropped or reordered by an overflow policy, and never wait for a reader.
   */
  addToolStep(step: IfToolSteps<E, ToolStepEvent>): void {
    if (this.closed) return;
    if (this.inGeneration) {
      this.heldSteps.push(step);
      return;
    }
    this.pendingSteps.push(step);
    this.pendingRelease ??= setImmediate(this.releasePendingSteps);
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

  /**
   * Resolves once no generation is open: at once if none is, otherwise at the `flush()` that ends
   * it (or at `close()`). A server uses it to know that every event of a finished run is buffered.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle || this.closed) return RESOLVED;
    return this.idleWaiters.wait();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  captureText(text: string | TimedString): Promise<void> {
    if (!this.closed) {
      const waits = this.reserveRoom();
      if (waits !== undefined) return this.captureAfter(waits, text);
      this.emitDelta(text);
    }
    // Not an async method: the common path allocates no promise of its own.
    return this.nextInChain === undefined ? RESOLVED : this.nextInChain.captureText(text);
  }

  /** `ending.interrupted`: the generation was cut (spoken timing passes it; the framework never does). */
  flush(ending?: { interrupted?: boolean }): void {
    if (!this.closed) {
      if (!this.inGeneration) {
        // An empty generation: it asked for the waiting calls, or it answers their outputs.
        this.settlePendingSteps();
        this.generationCount++;
      }
      const event: TextCompleteEvent = {
        type: 'text_complete',
        text: flatten(this.accumulated),
        generation: this.generationCount,
      };
      if (ending?.interrupted === true) event.interrupted = true;
      this.inGeneration = false;
      this.accumulated = '';
      this.rope.reset();
      this.dispatch(event);
      this.releaseHeldSteps();
      this.wakeIdleWaiters();
    }
    this.nextInChain?.flush();
  }

  /** Ends every reader: each delivers what it already holds, then its loop ends normally. */
  close(): void {
    if (this.closed) return;
    // Steps that arrived before close() and were only waiting for text that did not come.
    if (this.pendingRelease !== undefined) clearImmediate(this.pendingRelease);
    this.pendingRelease = undefined;
    const pending = this.pendingSteps;
    this.pendingSteps = [];
    for (const step of pending) this.dispatch(step);
    this.closed = true;
    this.stopWatchingSteps?.();
    this.heldSteps = [];
    const readers = this.readers;
    this.readers = [];
    for (const reader of readers) readerControl.end(reader);
    this.wakeIdleWaiters();
  }

  /**
   * Reads **one generation**: events until and including the next `text_complete`, then the loop
   * ends (the seed's `stream()`). Events produced while no `stream()` reader was active are
   * delivered first. `for await (const e of output)` is the same call, so it too stops after one
   * reply. To read everything from now on, across generations and turns, use `subscribe()`.
   *
   * @example
   * for await (const event of output.stream()) render(event); // ends after this generation
   */
  stream(options: ReadOptions = {}): StreamReader<E> {
    const buffer = createReaderBuffer(this.overflow, this.bufferSize);
    if (this.activeStreamReaders === 0 && this.backlog !== undefined) moveAll(this.backlog, buffer);
    const reader = readerControl.create(buffer, this.source, {
      signal: checkSignal(options),
      untilComplete: true,
    });
    if (this.closed) {
      readerControl.end(reader);
      return reader as StreamReader<E>;
    }
    this.streamReaders.add(reader);
    this.activeStreamReaders++;
    return this.register(reader);
  }

  /** `for await (… of output)`: the same as `stream()`, one generation; see `subscribe()` for all. */
  [Symbol.asyncIterator](): StreamReader<E> {
    return this.stream();
  }

  /**
   * Reads **every event from now on**, across generations and turns, until `close()`, an abort or
   * `break`: what a server or a UI wants. Each call is an independent reader with its own buffer;
   * any number can run at once, and each sees every event. To read just one generation, use
   * `stream()`.
   *
   * @example
   * for await (const event of output.subscribe()) render(event); // runs until close()/break
   */
  subscribe(options: ReadOptions = {}): StreamReader<E> {
    const reader = readerControl.create(createReaderBuffer(this.overflow, this.bufferSize), this.source, {
      signal: checkSignal(options),
    });
    if (this.closed) {
      readerControl.end(reader);
      return reader as StreamReader<E>;
    }
    return this.register(reader);
  }

  /** A reader has finished; see `ReaderSource`. */
  private detach(reader: StreamReader, leftovers: ReaderBuffer): void {
    this.readers = this.readers.filter((r) => r !== reader);
    if (!this.streamReaders.has(reader)) return;
    this.streamReaders.delete(reader);
    // What a stream() reader did not read belongs to the next one.
    if (--this.activeStreamReaders === 0 && !this.closed && this.backlog !== undefined) {
      moveAll(leftovers, this.backlog);
    }
  }

  private register(reader: StreamReader): StreamReader<E> {
    this.readers = [...this.readers, reader];
    readerControl.start(reader);
    return reader as StreamReader<E>;
  }

  /** The `block` path: wait for every reader to have room, then take the chunk. */
  private async captureAfter(waits: Promise<unknown>, text: string | TimedString): Promise<void> {
    await waits;
    if (!this.closed) this.emitDelta(text);
    if (this.nextInChain !== undefined) await this.nextInChain.captureText(text);
  }

  /**
   * Asks every reader for room before the chunk is produced. A reader that refuses (overflow
   * 'error') is failed on its own: its loop ends with `BufferOverflowError` and it gets nothing
   * more. `captureText` itself never rejects for it: the framework runs it in a task nobody awaits,
   * where a rejection would take the process down.
   */
  private reserveRoom(): Promise<unknown> | undefined {
    // A coalescing reader always has room: skip asking each one, on the path of every chunk.
    if (this.overflow === 'coalesce') return undefined;
    let waits: Promise<void>[] | undefined;
    for (const reader of this.readers) {
      let wait: Promise<void> | undefined;
      try {
        wait = readerControl.reserve(reader);
      } catch (error) {
        readerControl.fail(reader, error instanceof Error ? error : new Error(String(error)));
        continue;
      }
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
      this.settlePendingSteps();
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

  /** No generation open and no step waiting: everything produced so far has been delivered. */
  private get isIdle(): boolean {
    return !this.inGeneration && this.pendingSteps.length === 0;
  }

  /**
   * A generation opens (or an empty one ends) while steps wait. After a tool's output it is the
   * answer: the steps go out first. Otherwise it is the text that asked for the calls: they follow
   * its `text_complete`.
   */
  private settlePendingSteps(): void {
    if (this.pendingSteps.length === 0) return;
    const steps = this.pendingSteps;
    this.pendingSteps = [];
    if (this.pendingRelease !== undefined) clearImmediate(this.pendingRelease);
    this.pendingRelease = undefined;
    if (steps.some((step) => step.type === 'tool_output')) for (const step of steps) this.dispatch(step);
    else this.heldSteps.push(...steps);
  }

  /** No text came within a macrotask of the waiting steps: they go out as they are. */
  private readonly releasePendingSteps = (): void => {
    this.pendingRelease = undefined;
    const steps = this.pendingSteps;
    this.pendingSteps = [];
    if (this.closed) return;
    if (this.inGeneration) this.heldSteps.push(...steps);
    else for (const step of steps) this.dispatch(step);
    this.wakeIdleWaiters();
  };

  private releaseHeldSteps(): void {
    if (this.heldSteps.length === 0) return;
    const steps = this.heldSteps;
    this.heldSteps = [];
    for (const step of steps) this.dispatch(step);
  }

  private wakeIdleWaiters(): void {
    if (this.isIdle || this.closed) this.idleWaiters.wake();
  }

  private dispatch(event: StreamEvent): void {
    // Decided before delivery: delivering a text_complete can end the last stream() reader,
    // and the event it just read must not also land in the backlog.
    const backlog = this.activeStreamReaders === 0 ? this.backlog : undefined;
    const readers = this.readers;
    for (let i = 0; i < readers.length; i++) readerControl.offer(readers[i]!, event);
    backlog?.push(event);
  }
}

function moveAll(from: ReaderBuffer, to: ReaderBuffer): void {
  for (let event = from.shift(); event !== undefined; event = from.shift()) to.push(event);
}
