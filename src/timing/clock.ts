/**
 * The time source spoken pacing runs on. Milliseconds, like `Date.now()`, because the framework's
 * playback events carry `Date.now()` timestamps. Tests pass a manual clock; nothing else needs to.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // A pending release must not keep a finished worker process alive.
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
