/**
 * Run in a child process with --expose-gc. Produces `deltas` 8-character deltas (a flush every
 * `perGeneration`) into a sink whose only reader never reads, then prints the heap growth after a
 * full GC as one JSON line. Used by `npm run bench` and by test/memory.test.ts.
 *
 *   node --expose-gc --import tsx bench/memory-probe.ts <sink> <deltas> <perGeneration>
 *   sink: coalesce | block | error (a stalled subscribe() reader), backlog (no reader at all:
 *         the stream() backlog), seed (the seed port's unbounded queue)
 */
import type { OverflowPolicy } from '../src/core/events.js';
import { StreamingTextOutput } from '../src/index.js';
import { SeedStreamingTextOutput } from './baselines/seed-queue.js';

const [sink = 'coalesce', deltasArg = '1000000', perGenerationArg = '1000'] = process.argv.slice(2);
const deltas = Number(deltasArg);
const perGeneration = Number(perGenerationArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

interface Probe {
  captureText(text: string): Promise<void>;
  flush(): void;
  buffered(): number;
}

function makeProbe(): Probe {
  if (sink === 'seed') {
    const seed = new SeedStreamingTextOutput();
    return {
      captureText: (t) => seed.captureText(t),
      flush: () => seed.flush(),
      buffered: () => seed.queued,
    };
  }
  const out = new StreamingTextOutput({
    overflow: sink === 'backlog' ? 'coalesce' : (sink as OverflowPolicy),
  });
  const reader = sink === 'backlog' ? undefined : out.subscribe();
  return {
    captureText: (t) => out.captureText(t),
    flush: () => out.flush(),
    buffered: () => reader?.buffered ?? Number.NaN,
  };
}

async function main() {
  gc!();
  const before = process.memoryUsage().heapUsed;
  const probe = makeProbe();
  let textBytes = 0;
  let refused = 0;
  let blockedAfter: number | null = null;
  for (let i = 0; i < deltas; i++) {
    // A fresh string per chunk, as an LLM stream hands them over.
    const chunk = `w${String(i % 10_000_000).padStart(7, '0')}`;
    const taken = probe.captureText(chunk);
    if (sink === 'block') {
      // A blocked producer never resumes while nobody reads: record where it stopped.
      const settled = await Promise.race([
        taken.then(() => true),
        new Promise((r) => setImmediate(r, false)),
      ]);
      if (!settled) {
        blockedAfter = i;
        break;
      }
    } else {
      try {
        await taken;
      } catch {
        refused++;
        continue;
      }
    }
    textBytes += chunk.length;
    if ((i + 1) % perGeneration === 0) probe.flush();
  }
  gc!();
  const heapGrowth = process.memoryUsage().heapUsed - before;
  console.log(
    JSON.stringify({
      sink,
      deltas,
      textBytes,
      heapGrowth,
      buffered: probe.buffered(),
      refused,
      blockedAfter,
    }),
  );
  process.exit(0);
}
void main();
