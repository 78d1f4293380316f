/**
 * An array-backed queue with O(1) shift: `Array.prototype.shift` is O(n) once V8 leaves its fast
 * path, which a stalled reader holding thousands of events would hit on every read.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  get last(): T | undefined {
    return this.length === 0 ? undefined : this.items[this.items.length - 1];
  }

  set last(value: T) {
    this.items[this.items.length - 1] = value;
  }

  at(index: number): T | undefined {
    return index < this.length ? this.items[this.head + index] : undefined;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head === this.items.length) {
      // Emptied: reuse the array rather than allocate one per read.
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Replaces the contents with `keep(items)`, for strategies that rewrite what is buffered. */
  rewrite(keep: (items: T[]) => T[]): void {
    this.items = keep(this.items.slice(this.head));
    this.head = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
