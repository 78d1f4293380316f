/** Slots a queue starts with, and keeps once emptied: a reader's queue is usually 0 or 1 long. */
const SMALL = 8;
/** Past this, an emptied queue gives its slots back: a stall must not hold its peak for good. */
const KEEP_AT_MOST = 1024;

/**
 * A ring-buffer queue with O(1) push and shift. `Array.prototype.shift` is O(n) once V8 leaves its
 * fast path (a stalled reader holding thousands of events would hit it on every read), and an
 * array queue that truncates itself when emptied (`length = 0`) makes V8 drop its backing store, so
 * the next push allocates a new one: in the hot path, where a queue fills and empties once per
 * event, that was most of the cost of a delta (issue 21). The ring keeps its slots.
 */
export class Fifo<T> {
  /** Capacity is a power of two, so wrapping is a mask. */
  private slots: Array<T | undefined> = new Array(SMALL).fill(undefined);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  get last(): T | undefined {
    return this.count === 0 ? undefined : this.slots[(this.head + this.count - 1) & (this.slots.length - 1)];
  }

  set last(value: T) {
    if (this.count === 0) return;
    this.slots[(this.head + this.count - 1) & (this.slots.length - 1)] = value;
  }

  at(index: number): T | undefined {
    return index < this.count ? this.slots[(this.head + index) & (this.slots.length - 1)] : undefined;
  }

  push(item: T): void {
    if (this.count === this.slots.length) this.resize(this.slots.length * 2);
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    if (--this.count === 0 && this.slots.length > KEEP_AT_MOST) this.clear();
    return item;
  }

  /** Replaces the contents with `keep(items)`, for strategies that rewrite what is buffered. */
  rewrite(keep: (items: T[]) => T[]): void {
    const items: T[] = [];
    for (let i = 0; i < this.count; i++) items.push(this.at(i) as T);
    const kept = keep(items);
    let capacity = SMALL;
    while (capacity < kept.length) capacity *= 2;
    this.slots = new Array(capacity).fill(undefined);
    for (let i = 0; i < kept.length; i++) this.slots[i] = kept[i];
    this.head = 0;
    this.count = kept.length;
  }

  clear(): void {
    this.slots = new Array(SMALL).fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private resize(capacity: number): void {
    const slots: Array<T | undefined> = new Array(capacity).fill(undefined);
    for (let i = 0; i < this.count; i++) slots[i] = this.slots[(this.head + i) & (this.slots.length - 1)];
    this.slots = slots;
    this.head = 0;
  }
}
