/**
 * `npm run bench`: every scenario of the benchmark issue, each figure beside a baseline measured
 * in the same run. Prints a table, writes bench/results.json and BENCHMARKS.md.
 * `npm run bench -- --smoke` runs every scenario at a tiny size (used by the test suite) and writes
 * to a temporary folder instead.
 *
 * Fan-out uses 200-delta replies by default: 500 sessions × 2,000 chunks is a million chunks
 * through the framework's own pipeline (~190 µs each on 2 cores), minutes on its own.
 * BENCH_FANOUT_CHUNKS=2000 runs the issue's full size.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { machine, printTable, type Report, type Row, writeReport } from './report.js';
import { coreLatency, coreThroughput } from './scenarios/core.js';
import { fanout, slowClientAmongFast } from './scenarios/fanout.js';
import { longReply } from './scenarios/long-reply.js';
import { memoryStalledReader } from './scenarios/memory.js';
import { resumeIdleMemory, resumeSendCost } from './scenarios/resume.js';
import { sessionOverhead } from './scenarios/session.js';
import { websocketOneClient } from './scenarios/websocket.js';
import { wireBytes } from './scenarios/wire.js';

initializeLogger({ pretty: false, level: 'error' });

const smoke = process.argv.includes('--smoke');
const rounds = smoke ? 1 : 5;
const size = smoke
  ? {
      core: 2_000,
      latency: 500,
      memory: 5_000,
      session: 600,
      ws: 500,
      fanout: 5,
      fanoutChunks: 50,
      fast: 3,
      slowChunks: 50,
    }
  : {
      core: 1_000_000,
      latency: 100_000,
      memory: 1_000_000,
      session: 6_000,
      ws: 20_000,
      fanout: 500,
      fanoutChunks: Number(process.env.BENCH_FANOUT_CHUNKS ?? 200),
      fast: 20,
      slowChunks: 2_000,
    };

const rows: Row[] = [];
const step = async (name: string, run: () => Promise<Row[]>) => {
  const start = performance.now();
  const result = await run();
  rows.push(...result);
  printTable(result);
  console.log(`  (${name}: ${((performance.now() - start) / 1000).toFixed(1)} s)\n`);
};

const started = performance.now();
await step('core throughput', () => coreThroughput(size.core, rounds));
await step('core latency', () => coreLatency(size.latency, 100_000, rounds));
await step('memory', () => memoryStalledReader(size.memory, 1000, smoke ? 1 : 3));
await step('session', () => sessionOverhead(size.session, smoke ? 2 : 20, smoke ? 1 : 7));
await step('websocket', () => websocketOneClient(size.ws, 10_000, rounds));
await step('fan-out', () => fanout(size.fanout, size.fanoutChunks));
await step('slow client', () => slowClientAmongFast(size.fast, size.slowChunks, smoke ? 1 : 3));
await step('wire bytes', async () => wireBytes(smoke ? 1_000 : 20_000));
// Issue 9 item 3; full size only (four server processes; minutes with the old default's cap).
if (!smoke)
  await step('long reply', () => longReply(Number(process.env.BENCH_LONG_CHUNKS ?? 100_000), 8, 60_000));
await step('resume: send path', () => resumeSendCost(size.ws, 10_000, rounds));
await step('resume: idle sessions', () => resumeIdleMemory(smoke ? 3 : 50, 300, smoke ? 1 : 3));
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);

const report: Report = { machine: machine(), size: smoke ? 'smoke' : 'full', rounds, rows };
const root = new URL('..', import.meta.url).pathname;
const outDir = smoke ? mkdtempSync(join(tmpdir(), 'bench-smoke-')) : root;
const json = smoke ? join(outDir, 'results.json') : join(root, 'bench/results.json');
const markdown = join(outDir, 'BENCHMARKS.md');
writeReport(report, json, markdown);
console.log(`wrote ${json} and ${markdown}`);
const missed = rows.filter((r) => r.pass === false);
if (missed.length > 0)
  console.log(`bars missed: ${missed.map((r) => `${r.scenario} / ${r.contestant}`).join('; ')}`);
