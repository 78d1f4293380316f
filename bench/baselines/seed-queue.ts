/**
 * A faithful TypeScript port of the seed design's queue: an unbounded array plus one pending
 * resolver, `accumulated` on every event, and an async generator that ends at the flush sentinel.
 * It is the baseline the core benchmarks compare against; it is not used by the package.
 *
 * The seed's `asyncio.Queue` is a deque with O(1) `popleft`; `Array.prototype.shift` is O(n) once the
 * array is large, which would make this port quadratic and unfairly slow, so reads advance a head
 * index instead.
 */
type SeedEvent =
  | { type: 'text_delta'; delta: string; accumulated: string }
  | { type: 'text_complete'; text: string };

export class SeedStreamingTextOutput {
  readonly label = 'streaming_text';
  private queue: Array<SeedEvent | null> = [];
  private head = 0;
  private pending: ((item: SeedEvent | null) => void) | undefined;
  private accumulatedText = '';
  private closed = false;

  async captureText(text: string): Promise<void> {
    this.accumulatedText += text;
    this.put({ type: 'text_delta', delta: text, accumulated: this.accumulatedText });
  }

  flush(): void {
    this.put({ type: 'text_complete', text: this.accumulatedText });
    this.put(null);
    this.accumulatedText = '';
  }

  close(): void {
    this.closed = true;
    this.put(null);
  }

  async *stream(): AsyncGenerator<SeedEvent> {
    while (!this.closed) {
      const event = await this.get();
      if (event === null) break;
      yield event;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<SeedEvent> {
    return this.stream();
  }

  /** Events held for a reader that is not reading: the seed never drops any. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  private put(item: SeedEvent | null): void {
    const pending = this.pending;
    if (pending !== undefined) {
      this.pending = undefined;
      pending(item);
    } else this.queue.push(item);
  }

  private get(): Promise<SeedEvent | null> {
    if (this.head < this.queue.length) {
      const item = this.queue[this.head]!;
      this.queue[this.head++] = null;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      return Promise.resolve(item);
    }
    return new Promise((resolve) => {
      this.pending = resolve;
    });
  }
}
