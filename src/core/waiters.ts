/**
 * Callbacks waiting for one condition ("an event is buffered", "the socket drained", "there is
 * room"). `wake()` calls each once, in the order they came; a callback that waits again from inside
 * `wake()` waits for the next one.
 */
export class Waiters {
  private callbacks: Array<() => void> = [];

  get size(): number {
    return this.callbacks.length;
  }

  add(callback: () => void): void {
    this.callbacks.push(callback);
  }

  /** A promise for the next `wake()`. */
  wait(): Promise<void> {
    return new Promise((resolve) => this.callbacks.push(resolve));
  }

  wake(): void {
    const callbacks = this.callbacks;
    if (callbacks.length === 0) return;
    if (callbacks.length === 1) {
      // The usual case (one pump or one producer waiting): no new array per wake.
      const only = callbacks[0]!;
      callbacks.length = 0;
      only();
      return;
    }
    this.callbacks = [];
    for (const callback of callbacks) callback();
  }
}
