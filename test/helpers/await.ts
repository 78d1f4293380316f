/** Resolves after the event loop has run pending I/O and timers once. */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls `check` until it returns true; fails with `what` after `ms`. Not a timing assertion. */
export async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * 'settled' once `promise` settles, or 'pending' if it has not after `ms`: for asserting that
 * something is held, or released, with a short explicit wait instead of the test's timeout.
 */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const pending = new Promise<'pending'>((resolve) => {
    timer = setTimeout(() => resolve('pending'), ms);
  });
  const settled = promise.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  return Promise.race([settled, pending]).finally(() => clearTimeout(timer));
}
