export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `promise`'s value, or `TIMED_OUT` if it has not settled within `ms`. The timer is cleared as soon
 * as either side wins, so nothing is left pending. A rejection passes through.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
