import { TIMED_OUT, withDeadline } from '../session/deadline.js';

export type AppAnswer<T> = { ok: true; value: T } | { ok: false; why: 'threw' | 'timed out' };

/**
 * Asks one of the app's gate callbacks (`authenticate`, `authorize`) with a deadline: one that
 * throws, or never answers, is reported through `onError` and counts as a refusal. It can neither
 * crash the listener nor hold a socket (or `close()`) forever.
 */
export async function askApp<T>(
  ask: () => T | Promise<T>,
  {
    where,
    timeoutMs,
    onError,
  }: { where: string; timeoutMs: number; onError: (error: unknown, where: string) => void },
): Promise<AppAnswer<T>> {
  let asked: Promise<T>;
  try {
    asked = Promise.resolve(ask());
  } catch (error) {
    onError(error, where);
    return { ok: false, why: 'threw' };
  }
  try {
    const value = await withDeadline(asked, timeoutMs);
    if (value !== TIMED_OUT) return { ok: true, value };
  } catch (error) {
    onError(error, where);
    return { ok: false, why: 'threw' };
  }
  // A late rejection must not become an unhandled one.
  asked.catch(() => undefined);
  onError(new Error(`${where} did not answer within ${timeoutMs} ms (authenticateTimeoutMs)`), where);
  return { ok: false, why: 'timed out' };
}
