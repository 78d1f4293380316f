import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Row } from '../report.js';
import { median } from '../stats.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

interface ProbeResult {
  textBytes: number;
  heapGrowth: number;
  buffered: number | null;
  refused: number;
  blockedAfter: number | null;
}

async function probe(sink: string, deltas: number, perGeneration: number): Promise<ProbeResult> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/memory-probe.ts', sink, String(deltas), String(perGeneration)],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ProbeResult;
}

/** 3. Heap held for a reader that never reads, against the bytes of text produced. */
export async function memoryStalledReader(
  deltas: number,
  perGeneration: number,
  rounds: number,
): Promise<Row[]> {
  const sinks = ['coalesce', 'block', 'error', 'backlog', 'seed'] as const;
  const results: Record<string, ProbeResult[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const sink of sinks) {
      results[sink] ??= [];
      results[sink].push(await probe(sink, deltas, perGeneration));
    }
  }
  const scenario = `3. stalled reader: ${deltas.toLocaleString('en-US')} × 8 chars, flush every ${perGeneration}`;
  const names: Record<(typeof sinks)[number], string> = {
    coalesce: 'subscribe() coalesce',
    block: 'subscribe() block',
    error: 'subscribe() error',
    backlog: 'stream() backlog, no reader',
    seed: 'seed port',
  };
  const produced = deltas * 8;
  return sinks.flatMap((sink): Row[] => {
    const samples = results[sink]!;
    const growth = median(samples.map((s) => s.heapGrowth));
    const last = samples.at(-1)!;
    const rows: Row[] = [
      {
        scenario,
        contestant: names[sink],
        metric: 'heap growth / text produced',
        unit: '×',
        value: growth / produced,
        ...(sink === 'coalesce' ? { bar: '≤ 2× the text bytes', pass: growth <= 2 * produced } : {}),
        note:
          sink === 'block'
            ? `the producer stopped after ${last.blockedAfter! + 1} deltas (bufferSize): the agent waits for the reader`
            : sink === 'error'
              ? `${last.refused.toLocaleString('en-US')} captureText calls rejected with BufferOverflowError once the reader was bufferSize behind`
              : undefined,
      },
    ];
    if (last.buffered !== null) {
      rows.push({
        scenario,
        contestant: names[sink],
        metric: 'events buffered',
        unit: 'events',
        value: last.buffered,
        ...(sink === 'coalesce'
          ? {
              bar: 'bounded (by bufferSize, or one delta + one complete per unread generation)',
              pass: last.buffered <= Math.max(1024, (2 * deltas) / perGeneration),
            }
          : {}),
      });
    }
    return rows;
  });
}
