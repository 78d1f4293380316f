export interface ReconnectOptions {
  /** First delay; doubled after each failed attempt. Default 250 ms. */
  initialDelayMs?: number;
  /** Longest delay. Default 10 s. */
  maxDelayMs?: number;
  /** Attempts in a row that fail to reach the server before giving up. Default: no limit. */
  maxAttempts?: number;
  /**
   * Resumes in a row that the server ends (it refuses the resume, or closes the resumed connection
   * with an error code such as 1009) before anything new arrives on it; then the client stops with
   * `reconnect_failed`, instead of resending into the same failure. Default 3.
   */
  maxFailedResumes?: number;
}

/** See `ReconnectOptions.maxFailedResumes`. */
export const DEFAULT_MAX_FAILED_RESUMES = 3;

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
