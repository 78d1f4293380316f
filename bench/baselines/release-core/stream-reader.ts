import type { StreamEvent } from './events.js';
import type { ReaderBuffer } from './reader-buffer.js';

/** What a reader needs from the output that feeds it. */
export interface ReaderSource {
  /** The reader will read no more: stop feeding it. `leftovers` are events it did not read. */
  detach(reader: StreamReader, leftovers: ReaderBuffer): void;
}

export interface StreamReaderOptions {
  signal?: AbortSignal | undefined;
  /** End after the first `text_complete` (the `stream()` semantics). */
  untilComplete?: boolean;
}

type State = 'open' | 'draining' | 'done';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  (error as Error & { code: string }).code = 'ABORT_ERR';
  return error;
}

/**
 * One reader of a `StreamingTextOutput`: an async iterator over its own buffer. Also offers a
 * non-consuming wait (`readable()`) and a synchronous take (`tryNext()`), so a caller can race
 * "an event is ready" against other work without an event getting lost in a losing promise.
 */
export class StreamReader implements AsyncIterableIterator<StreamEvent> {
  private state: State = 'open';
  private waiter: ((result: IteratorResult<StreamEvent>) => void) | undefined;
  private rejectWaiter: ((error: Error) => void) | undefined;
  private readableWaiters: Array<() => void> = [];
  private pendingAbort: Error | undefined;
  private readonly untilComplete: boolean;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.abort();

  constructor(
    private readonly buffer: ReaderBuffer,
    private readonly source: ReaderSource,
    options: StreamReaderOptions = {},
  ) {
    this.untilComplete = options.untilComplete ?? false;
    this.signal = options.signal;
  }

  /** @internal Called by the output once it feeds this reader, so an abort can detach it. */
  start(): void {
    if (this.signal?.aborted) this.abort();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Events buffered for this reader and not read yet. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** True once the reader has ended: nothing more will be delivered. */
  get done(): boolean {
    return this.state === 'done' && this.pendingAbort === undefined;
  }

  /** @internal Called by the output before it produces a delta; see `ReaderBuffer.reserve`. */
  reserve(): Promise<void> | undefined {
    return this.buffer.reserve();
  }

  /** @internal Called by the output with each event. */
  offer(event: StreamEvent): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      this.rejectWaiter = undefined;
      this.afterDelivery(event);
      waiter({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
    if (this.readableWaiters.length > 0) this.wakeReadable();
  }

  /** @internal Called by the output on `close()`: deliver what is buffered, then end. */
  end(): void {
    if (this.state !== 'open') return;
    this.state = 'draining';
    this.stopListening();
    this.buffer.unblock();
    if (this.buffer.length === 0) this.finish();
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    const event = this.tryNext();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.pendingAbort !== undefined) {
      const error = this.pendingAbort;
      this.pendingAbort = undefined;
      return Promise.reject(error);
    }
    if (this.state !== 'open') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.rejectWaiter = reject;
    });
  }

  /** The next buffered event, without waiting; `undefined` when none is buffered. */
  tryNext(): StreamEvent | undefined {
    const event = this.buffer.shift();
    if (event === undefined) return undefined;
    this.afterDelivery(event);
    if (this.state === 'draining' && this.buffer.length === 0) this.finish();
    return event;
  }

  /** Resolves once an event is buffered or the reader has ended; consumes nothing. */
  readable(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.whenReadable(resolve)) resolve();
    });
  }

  /**
   * Calls `callback` once, when an event is buffered or the reader ends. Returns false, without
   * registering, if that is already so. The promise-free form of `readable()`, for hot loops.
   */
  whenReadable(callback: () => void): boolean {
    if (this.buffer.length > 0 || this.state !== 'open') return false;
    this.readableWaiters.push(callback);
    return true;
  }

  /** `break` out of a `for await` lands here: the reader is released at once. */
  return(): Promise<IteratorResult<StreamEvent>> {
    this.pendingAbort = undefined;
    this.finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private afterDelivery(event: StreamEvent): void {
    if (this.untilComplete && event.type === 'text_complete') this.finish();
  }

  private abort(): void {
    if (this.state === 'done') return;
    const error = abortError(this.signal!);
    const reject = this.rejectWaiter;
    this.waiter = undefined;
    this.rejectWaiter = undefined;
    this.finish();
    if (reject !== undefined) reject(error);
    else this.pendingAbort = error;
  }

  /** Stops receiving, hands unread events back to the source, wakes everyone waiting on us. */
  private finish(): void {
    if (this.state === 'done') return;
    const wasOpen = this.state === 'open';
    this.state = 'done';
    this.stopListening();
    if (wasOpen) this.source.detach(this, this.buffer);
    this.buffer.release();
    const waiter = this.waiter;
    this.waiter = undefined;
    this.rejectWaiter = undefined;
    waiter?.(DONE);
    this.wakeReadable();
  }

  private stopListening(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  private wakeReadable(): void {
    const waiters = this.readableWaiters;
    if (waiters.length === 1) {
      // The usual case (one pump or one caller waiting): no new array per event.
      const only = waiters[0]!;
      waiters.length = 0;
      only();
      return;
    }
    this.readableWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
