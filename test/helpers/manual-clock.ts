import { setImmediate as immediate } from 'node:timers/promises';
import type { Clock } from '../../src/timing/clock.js';

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/** A clock that moves only when a test says so; timers fire in time order as it passes them. */
export class ManualClock implements Clock {
  private time: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: Timer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Moves time forward by `ms`, firing due timers at their own time, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.callback();
    }
    this.time = end;
  }

  /**
   * Moves time forward in `step` ms steps up to `ms`, letting the event loop run between steps
   * (the session's own promises and real timers make progress; only our clock is fake).
   */
  async run(ms: number, step = 10, onStep?: () => void): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      this.advance(Math.min(step, ms - t));
      onStep?.();
      await immediate();
      await immediate();
    }
  }
}
