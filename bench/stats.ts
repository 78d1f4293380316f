import { median, percentile } from '../support/stats.js';

export { median, percentile };

/**
 * Runs every contestant once per round, rounds interleaved, so drift in the machine (another
 * process, a GC, thermal state) falls on all of them alike. Returns each contestant's samples.
 */
export async function interleave<K extends string, T>(
  rounds: number,
  contestants: Record<K, () => Promise<T>>,
): Promise<Record<K, T[]>> {
  const names = Object.keys(contestants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round, so no contestant always runs first (cold) or last.
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      samples[name].push(await contestants[name]());
      (globalThis as { gc?: () => void }).gc?.();
    }
  }
  return samples;
}

export const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : String(n);

/**
 * A ratio measured once per round, judged against a bar: the spread (min–max over the rounds), and
 * a verdict that calls the bar met or missed only when the whole spread agrees. `rounds`: how many
 * rounds would likely settle a row within noise (the spread of a median narrows as 1/√rounds).
 */
export function judgeRatio(
  perRound: number[],
  bar: { below: number } | { atMost: number } | { atLeast: number },
): {
  spread: { min: number; max: number };
  verdict: 'met' | 'missed' | 'within noise';
  settle?: string;
} {
  const min = Math.min(...perRound);
  const max = Math.max(...perRound);
  const spread = { min, max };
  let limit: number;
  let inside: (x: number) => boolean;
  if ('below' in bar) {
    limit = bar.below;
    inside = (x) => x < limit;
  } else if ('atMost' in bar) {
    limit = bar.atMost;
    inside = (x) => x <= limit;
  } else {
    limit = bar.atLeast;
    inside = (x) => x >= limit;
  }
  if (inside(min) && inside(max)) return { spread, verdict: 'met' };
  if (!inside(min) && !inside(max)) return { spread, verdict: 'missed' };
  const mid = median(perRound);
  const half = (max - min) / 2;
  const distance = Math.abs(mid - limit);
  const needed =
    distance === 0 ? Number.POSITIVE_INFINITY : Math.ceil(perRound.length * (half / distance) ** 2);
  return {
    spread,
    verdict: 'within noise',
    settle: Number.isFinite(needed)
      ? `within noise: ${fmt(min, 2)}–${fmt(max, 2)}× over ${perRound.length} rounds straddles the bar; about ${needed} rounds would settle it`
      : `within noise: ${fmt(min, 2)}–${fmt(max, 2)}× over ${perRound.length} rounds, median on the bar; no number of rounds settles it`,
  };
}

/** Per-round ratios a[i] / b[i] of two contestants measured in the same rounds. */
export const perRoundRatios = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
