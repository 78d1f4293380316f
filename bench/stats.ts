export function median(values: number[]): number {
  return percentile(values, 50);
}

export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

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
