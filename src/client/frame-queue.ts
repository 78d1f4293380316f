import { Fifo } from '../core/fifo.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * An async iterable fed by pushes: what `ask()` returns. Ends on `end()`. Items and waiting `next()`
 * calls both queue in a `Fifo` (O(1) shift, where `Array.shift` is O(n) on a long reply), and
 * concurrent `next()` calls settle in call order, as `StreamReader`'s do.
 */
export class FrameQueue<T> implements AsyncIterableIterator<T> {
  private readonly items = new Fifo<T>();
  private readonly waiting = new Fifo<(result: IteratorResult<T>) => void>();
  private ended = false;

  constructor(private readonly onReturn: () => void) {}

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter({ value: item, done: false });
    else this.items.push(item);
  }

  end(): void {
    this.ended = true;
    for (let waiter = this.waiting.shift(); waiter !== undefined; waiter = this.waiting.shift()) waiter(DONE);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.clear();
    this.end();
    this.onReturn();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
