/**
 * A reply at model pace, for the capacity benchmark: `chunks` chunks at `perSecond`, on a timer.
 * Each chunk carries the time it was due (`@<ms>;`, on the clock every process on this machine
 * shares: `performance.timeOrigin + performance.now()`), so a client in another process can time
 * emit → receive per chunk. Stamping the due time, not the time the timer fired, counts a late
 * timer (a busy event loop) in the latency, as a model's bytes waiting in a socket would be.
 */
import { TestLLM } from '../test/helpers/scripted-llm.js';

export const sharedNow = () => performance.timeOrigin + performance.now();

const STAMP = /@(\d+\.\d+);/g;

/** Each stamp in `text`, as emit → `now` latency in ms. */
export function latencies(text: string, now: number, into: number[]): number {
  let n = 0;
  for (const match of text.matchAll(STAMP)) {
    into.push(now - Number(match[1]));
    n++;
  }
  return n;
}

/**
 * Calls `put` for every chunk as it comes due; resolves after the last one or when `signal` aborts.
 * One timer per session at a time; a late timer emits every chunk already due.
 */
export function streamPaced(
  chunks: number,
  perSecond: number,
  put: (chunk: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const start = sharedNow();
  const interval = 1000 / perSecond;
  let next = 0;
  return new Promise<void>((resolve) => {
    const tick = () => {
      if (signal?.aborted) return resolve();
      const now = sharedNow();
      while (next < chunks && start + next * interval <= now) {
        put(`@${(start + next * interval).toFixed(2)};`);
        next++;
      }
      if (next >= chunks) return resolve();
      setTimeout(tick, Math.max(0, start + next * interval - sharedNow()));
    };
    tick();
  });
}

/** A real `llm.LLM` whose every reply is a paced stream of stamped chunks. */
export class PacedLLM extends TestLLM {
  constructor(chunks: number, perSecond: number) {
    super((_message, put, signal) => streamPaced(chunks, perSecond, put, signal), 'paced-llm');
  }
}
