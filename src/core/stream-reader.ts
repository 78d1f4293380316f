import type { StreamEvent } from './events.js';
import { Fifo } from './fifo.js';
import type { ReaderBuffer } from './reader-buffer.js';
import { Waiters } from './waiters.js';

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

/**
 * How the output drives its readers. Not part of the package's API: the public `StreamReader` has
 * only the reading side, so a user cannot end, feed or stall a reader the output still holds.
 */
export interface ReaderControl {
  create(buffer: ReaderBuffer, source: ReaderSource, options?: StreamReaderOptions): StreamReader;
  /** The output now feeds this reader: from here an abort detaches it. */
  start(reader: StreamReader): void;
  /** Before the output produces a delta; see `ReaderBuffer.reserve`. */
  reserve(reader: StreamReader): Promise<void> | undefined;
  /** Each event, in order. */
  offer(reader: StreamReader, event: StreamEvent): void;
  /** On the output's `close()`: deliver what is buffered, then end. */
  end(reader: StreamReader): void;
  /**
   * The output gives up on this reader (overflow 'error'): it is released at once, like an abort,
   * and its loop ends with `error`.
   */
  fail(reader: StreamReader, error: Error): void;
}

type State = 'open' | 'draining' | 'done';

/** A `next()` call waiting for an event. */
interface PendingNext {
  resolve(result: IteratorResult<StreamEvent>): void;
  reject(error: Error): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted', { cause: signal.reason });
  error.name = 'AbortError';
  (error as Error & { code: string }).code = 'ABORT_ERR';
  return error;
}

let control: ReaderControl | undefined;

/**
 * One reader of a `StreamingTextOutput`: an async iterator over its own buffer. Also offers a
 * non-consuming wait (`readable()`) and a synchronous take (`tryNext()`), so a caller can race
 * "an event is ready" against other work without an event getting lost in a losing promise.
 *
 * Readers come from `output.stream()` and `output.subscribe()`. Concurrent `next()` calls queue,
 * as Node's own stream iterators do: each settles with the next event, in call order.
 *
 * `E` is what the output can deliver: text events only (`TextEvent`) unless it was asked for tool
 * steps, then every `StreamEvent`. The reader itself handles any event; `E` only narrows its type.
 */
export class StreamReader<E extends StreamEvent = StreamEvent> implements AsyncIterableIterator<E> {
  #state: State = 'open';
  /**
   * The first waiting `next()`, in two fields: one waiter is the hot path (a `for await` loop waits
   * for each event), and these cost no allocation per event. Calls behind it queue in `#queued`.
   */
  #resolveNext: ((result: IteratorResult<StreamEvent>) => void) | undefined;
  #rejectNext: ((error: Error) => void) | undefined;
  readonly #queued = new Fifo<PendingNext>();
  readonly #readable = new Waiters();
  #pendingAbort: Error | undefined;
  readonly #buffer: ReaderBuffer;
  readonly #source: ReaderSource;
  readonly #untilComplete: boolean;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#abort();
  /**
   * The executor of every waiting `next()`'s promise, made once per reader: a `for await` loop
   * waits once per event, and an arrow written inside `next()` would be a new closure each time.
   */
  readonly #park = (
    resolve: (result: IteratorResult<StreamEvent>) => void,
    reject: (error: Error) => void,
  ): void => {
    if (this.#resolveNext === undefined) {
      this.#resolveNext = resolve;
      this.#rejectNext = reject;
    } else this.#queued.push({ resolve, reject });
  };

  private constructor(buffer: ReaderBuffer, source: ReaderSource, options: StreamReaderOptions = {}) {
    this.#buffer = buffer;
    this.#source = source;
    this.#untilComplete = options.untilComplete ?? false;
    this.#signal = options.signal;
  }

  static {
    // The only way in for the output (see `ReaderControl`); the class body is the only place that
    // can reach the private members, so this is where the handle is made.
    control = {
      create: (buffer, source, options) => new StreamReader(buffer, source, options),
      start: (reader) => reader.#start(),
      reserve: (reader) => reader.#buffer.reserve(),
      offer: (reader, event) => reader.#offer(event),
      end: (reader) => reader.#end(),
      fail: (reader, error) => reader.#fail(error),
    };
  }

  /** Events buffered for this reader and not read yet. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** True once the reader has ended: nothing more will be delivered. */
  get done(): boolean {
    return this.#state === 'done' && this.#pendingAbort === undefined;
  }

  next(): Promise<IteratorResult<E>> {
    // Behind earlier calls that are still waiting: take a place in the queue, never an event of theirs.
    if (this.#resolveNext === undefined) {
      const event = this.tryNext();
      if (event !== undefined) return Promise.resolve({ value: event, done: false });
    }
    if (this.#pendingAbort !== undefined) {
      const error = this.#pendingAbort;
      this.#pendingAbort = undefined;
      return Promise.reject(error);
    }
    if (this.#state !== 'open') return Promise.resolve(DONE);
    return new Promise(this.#park) as Promise<IteratorResult<E>>;
  }

  /** The next buffered event, without waiting; `undefined` when none is buffered. */
  tryNext(): E | undefined {
    const event = this.#buffer.shift() as E | undefined;
    if (event === undefined) return undefined;
    this.#afterDelivery(event);
    if (this.#state === 'draining' && this.#buffer.length === 0) this.#finish();
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
    if (this.#buffer.length > 0 || this.#state !== 'open') return false;
    this.#readable.add(callback);
    return true;
  }

  /** `break` out of a `for await` lands here: the reader is released at once. */
  return(): Promise<IteratorResult<E>> {
    this.#pendingAbort = undefined;
    this.#finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #start(): void {
    if (this.#signal?.aborted) this.#abort();
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  #offer(event: StreamEvent): void {
    const resolve = this.#resolveNext;
    if (resolve !== undefined) {
      this.#advanceWaiters();
      // Settled before `#afterDelivery` can end the reader, so it settles before the calls behind it.
      resolve({ value: event, done: false });
      this.#afterDelivery(event);
      return;
    }
    this.#buffer.push(event);
    if (this.#readable.size > 0) this.#readable.wake();
  }

  #end(): void {
    if (this.#state !== 'open') return;
    this.#state = 'draining';
    this.#stopListening();
    this.#buffer.unblock();
    if (this.#buffer.length === 0) this.#finish();
  }

  #afterDelivery(event: StreamEvent): void {
    if (this.#untilComplete && event.type === 'text_complete') this.#finish();
  }

  #abort(): void {
    this.#fail(abortError(this.#signal!));
  }

  /** Like an async generator that throws: the first waiting `next()` rejects, later ones end. */
  #fail(error: Error): void {
    if (this.#state === 'done') return;
    const reject = this.#rejectNext;
    if (reject !== undefined) this.#advanceWaiters();
    this.#finish();
    if (reject !== undefined) reject(error);
    else this.#pendingAbort = error;
  }

  /** The first waiting `next()` has been taken: the next queued call (if any) is first now. */
  #advanceWaiters(): void {
    if (this.#queued.length === 0) {
      this.#resolveNext = undefined;
      this.#rejectNext = undefined;
      return;
    }
    const next = this.#queued.shift();
    this.#resolveNext = next?.resolve;
    this.#rejectNext = next?.reject;
  }

  /** Stops receiving, hands unread events back to the source, settles everyone waiting on us. */
  #finish(): void {
    if (this.#state === 'done') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'done';
    this.#stopListening();
    if (wasOpen) this.#source.detach(this, this.#buffer);
    this.#buffer.release();
    for (let resolve = this.#resolveNext; resolve !== undefined; resolve = this.#resolveNext) {
      this.#advanceWaiters();
      resolve(DONE);
    }
    this.#readable.wake();
  }

  #stopListening(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** The output's handle on its readers (see `ReaderControl`); never exported from the package. */
export const readerControl: ReaderControl = control!;
