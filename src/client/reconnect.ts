export interface ReconnectOptions {
  /** First delay; doubled after each failed attempt. Default 250 ms. */
  initialDelayMs?: number;
  /** Longest delay. Default 10 s. */
  maxDelayMs?: number;
  /** Attempts before giving up. Default: no limit. */
  maxAttempts?: number;
}

/** Exponential backoff with jitter, so many clients of a restarted server do not reconnect in step. */
export class Backoff {
  private attempt = 0;
  private readonly initial: number;
  private readonly max: number;
  private readonly maxAttempts: number;

  constructor(options: ReconnectOptions = {}) {
    this.initial = options.initialDelayMs ?? 250;
    this.max = options.maxDelayMs ?? 10_000;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  }

  /** The delay before the next attempt, or undefined when attempts are used up. */
  next(): number | undefined {
    if (this.attempt >= this.maxAttempts) return undefined;
    const base = Math.min(this.max, this.initial * 2 ** this.attempt++);
    return base / 2 + Math.random() * (base / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}
