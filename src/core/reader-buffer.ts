import type { OverflowPolicy, StreamEvent, TextDeltaEvent } from './events.js';
import { Fifo } from './fifo.js';
import { Waiters } from './waiters.js';

/**
 * The events one reader has not read yet. Each overflow policy is one strategy behind this
 * interface; the output only calls `reserve()` before a delta and `push()` after.
 */
export interface ReaderBuffer {
  readonly length: number;
  /**
   * Asks for room for one more delta before it is produced. `undefined` means go ahead; a promise
   * means wait for it (block); a throw fails this reader alone (error). Has no side effect, so the output can
   * ask every reader before it changes any state.
   */
  reserve(): Promise<void> | undefined;
  push(event: StreamEvent): void;
  shift(): StreamEvent | undefined;
  /** Wakes any `reserve()` waiter, keeping what is buffered: the reader takes nothing new. */
  unblock(): void;
  /** Drops what is buffered and wakes any `reserve()` waiter: the reader is gone. */
  release(): void;
}

export class BufferOverflowError extends Error {
  override readonly name = 'BufferOverflowError';
  readonly code = 'buffer_overflow';
  constructor(bufferSize: number) {
    super(
      `StreamingTextOutput: a reader is ${bufferSize} events behind (bufferSize). ` +
        `Raise the \`bufferSize\` option, or set \`overflow\` to 'coalesce' or 'block'.`,
    );
  }
}

export function createReaderBuffer(policy: OverflowPolicy, bufferSize: number): ReaderBuffer {
  switch (policy) {
    case 'coalesce':
      return new CoalescingBuffer(bufferSize, false);
    case 'block':
      return new BlockingBuffer(bufferSize);
    case 'error':
      return new FailingBuffer(bufferSize);
    default:
      throw new TypeError(`StreamingTextOutput: unknown overflow policy ${JSON.stringify(policy)}`);
  }
}

/** The buffer kept for a `stream()` reader that has not started yet: bounded, never waits. */
export function createBacklogBuffer(bufferSize: number): ReaderBuffer {
  return new CoalescingBuffer(bufferSize, true);
}

/**
 * Several buffered deltas of one generation, kept as an offset into the newest `accumulated`
 * string instead of as a concatenation: merging is O(1) and holds no copy of the text.
 */
class CoalescedDelta {
  constructor(
    readonly generation: number,
    readonly from: number,
    public accumulated: string,
    readonly startTime: number | undefined,
    public endTime: number | undefined,
  ) {}

  static of(event: TextDeltaEvent): CoalescedDelta {
    return new CoalescedDelta(
      event.generation,
      event.accumulated.length - event.delta.length,
      event.accumulated,
      event.startTime,
      event.endTime,
    );
  }

  absorb(event: TextDeltaEvent): void {
    this.accumulated = event.accumulated;
    if (event.endTime !== undefined) this.endTime = event.endTime;
  }

  toEvent(): TextDeltaEvent {
    const event: TextDeltaEvent = {
      type: 'text_delta',
      delta: this.from === 0 ? this.accumulated : this.accumulated.slice(this.from),
      accumulated: this.accumulated,
      generation: this.generation,
    };
    if (this.startTime !== undefined) event.startTime = this.startTime;
    if (this.endTime !== undefined) event.endTime = this.endTime;
    return event;
  }
}

type Entry = StreamEvent | CoalescedDelta;

const isDelta = (entry: Entry | undefined): entry is TextDeltaEvent | CoalescedDelta =>
  entry instanceof CoalescedDelta || entry?.type === 'text_delta';

/**
 * Never waits, never refuses, loses no text: past `bufferSize`, consecutive deltas of a generation
 * merge into one. Memory is bounded by the text, plus one complete event per unread generation.
 * With `dropFinishedGenerations` (the `stream()` backlog) the oldest finished generations go first
 * instead, so the backlog stays within `bufferSize` events whatever happens.
 */
class CoalescingBuffer implements ReaderBuffer {
  private readonly entries = new Fifo<Entry>();
  /** Adjacent deltas of one generation were appended since the last full coalesce. */
  private mergeable = false;

  constructor(
    private readonly bufferSize: number,
    private readonly dropFinishedGenerations: boolean,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  reserve(): undefined {
    return undefined;
  }

  push(event: StreamEvent): void {
    const tail = this.entries.last;
    const extendsTail = event.type === 'text_delta' && isDelta(tail) && tail.generation === event.generation;
    if (this.entries.length >= this.bufferSize) {
      if (extendsTail) {
        this.mergeIntoTail(tail, event);
        return;
      }
      if (this.mergeable) this.coalesceAll();
      if (this.dropFinishedGenerations) this.dropOldestFinishedGenerations();
    } else if (extendsTail) this.mergeable = true;
    this.entries.push(event);
  }

  shift(): StreamEvent | undefined {
    const entry = this.entries.shift();
    return entry instanceof CoalescedDelta ? entry.toEvent() : entry;
  }

  unblock(): void {}

  release(): void {
    this.entries.clear();
    this.mergeable = false;
  }

  private mergeIntoTail(tail: TextDeltaEvent | CoalescedDelta, event: TextDeltaEvent): void {
    if (tail instanceof CoalescedDelta) {
      tail.absorb(event);
      return;
    }
    const merged = CoalescedDelta.of(tail);
    merged.absorb(event);
    this.entries.last = merged;
  }

  private coalesceAll(): void {
    this.entries.rewrite((items) => {
      const out: Entry[] = [];
      for (const item of items) {
        const prev = out[out.length - 1];
        if (isDelta(item) && isDelta(prev) && prev.generation === item.generation) {
          const merged = prev instanceof CoalescedDelta ? prev : CoalescedDelta.of(prev);
          merged.absorb(item instanceof CoalescedDelta ? item.toEvent() : item);
          out[out.length - 1] = merged;
        } else out.push(item);
      }
      return out;
    });
    this.mergeable = false;
  }

  /**
   * After `coalesceAll` a generation is at most a delta and its complete, oldest at the head: drop
   * whole finished generations from the head until there is room. A generation still being
   * written is never cut, so a reader never starts in the middle of one.
   */
  private dropOldestFinishedGenerations(): void {
    while (this.entries.length >= this.bufferSize) {
      const head = this.entries.at(0);
      const next = this.entries.at(1);
      if (head === undefined) return;
      if (!isDelta(head)) this.entries.shift();
      else if (
        next !== undefined &&
        !isDelta(next) &&
        next.type === 'text_complete' &&
        next.generation === head.generation
      ) {
        this.entries.shift();
        this.entries.shift();
      } else return;
    }
  }
}

/** Keeps every event as it came; the bound is enforced by `reserve()`. */
class PlainBuffer {
  protected readonly events = new Fifo<StreamEvent>();

  constructor(protected readonly bufferSize: number) {}

  get length(): number {
    return this.events.length;
  }

  push(event: StreamEvent): void {
    this.events.push(event);
  }

  shift(): StreamEvent | undefined {
    return this.events.shift();
  }

  unblock(): void {}

  release(): void {
    this.events.clear();
    this.unblock();
  }
}

/**
 * `captureText` waits until this reader has room. The framework awaits `captureText`, so a slow
 * reader slows the whole pipeline behind it (LLM forwarding, and any output chained after this one).
 */
class BlockingBuffer extends PlainBuffer implements ReaderBuffer {
  private readonly waiters = new Waiters();

  reserve(): Promise<void> | undefined {
    if (this.events.length < this.bufferSize) return undefined;
    return this.waiters.wait();
  }

  override shift(): StreamEvent | undefined {
    const event = super.shift();
    if (this.waiters.size > 0 && this.events.length < this.bufferSize) this.waiters.wake();
    return event;
  }

  override unblock(): void {
    this.waiters.wake();
  }
}

/** This reader fails (its loop throws `BufferOverflowError`) once it is `bufferSize` events behind. */
class FailingBuffer extends PlainBuffer implements ReaderBuffer {
  reserve(): undefined {
    if (this.events.length >= this.bufferSize) throw new BufferOverflowError(this.bufferSize);
    return undefined;
  }
}
