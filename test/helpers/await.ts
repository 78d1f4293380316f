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
