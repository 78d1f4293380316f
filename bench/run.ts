/**
 * `npm run bench`: every scenario of the benchmark issue, each figure beside a baseline measured
 * in the same run. Prints a table, writes bench/results.json and BENCHMARKS.md.
 * `npm run bench -- --smoke` runs every scenario at a tiny size (used by the test suite) and writes
 * to a temporary folder instead.
 *
 * Fan-out uses 200-delta replies by default: 500 sessions × 2,000 chunks is a million chunks
 * through the framework's own pipeline (~190 µs each on 2 cores), minutes on its own.
 * BENCH_FANOUT_CHUNKS=2000 runs the issue's full size.
 *
 * `npm run bench -- capacity` (or any scenario names: core, latency, memory, session, websocket,
 * fanout, slow, wire, long, resume-send, resume-idle, capacity) runs only those. A run of `capacity` alone replaces the capacity
 * section of BENCHMARKS.md and leaves the rest as the last full run wrote it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger } from '@livekit/agents';
import { DEFAULT_COALESCE_MS } from '../src/session/options.js';
import { writeFigures } from './figures.js';
import {
  capacitySection,
  machine,
  mergeCapacitySection,
  mergeScenarioRows,
  printTable,
  type Report,
  type Row,
  verdictOf,
  writeReport,
} from './report.js';
import { aiSdkPaths } from './scenarios/ai-sdk.js';
import { browserPage } from './scenarios/browser-page.js';
import { capacity } from './scenarios/capacity.js';
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
/** A comma-separated list of numbers from the environment ('' is none). */
const numbers = (list: string) => list.split(',').filter(Boolean).map(Number);
const selected = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (name: string) => selected.length === 0 || selected.includes(name);
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
      capacity: {
        chunks: 20,
        perSecond: 50,
        staggerMs: 100,
        ramp: [4],
        bisections: 0,
        workers: [1],
        perChunkAt: 0,
        rampRounds: 1,
        windows: [0, 16],
        windowsAt: 4,
        rampWindows: [0, 16],
        defaultWindow: DEFAULT_COALESCE_MS,
        perChunkRounds: 1,
      },
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
      capacity: {
        chunks: Number(process.env.BENCH_CAPACITY_CHUNKS ?? 300),
        perSecond: 50,
        staggerMs: 1000,
        ramp: (process.env.BENCH_CAPACITY_RAMP ?? '50,100,200,400,800,1600,3200').split(',').map(Number),
        bisections: 2,
        workers: numbers(process.env.BENCH_CAPACITY_WORKERS ?? '1,2'),
        perChunkAt: Number(process.env.BENCH_CAPACITY_PER_CHUNK_AT ?? 500),
        // Issue 21: the delivery window's latency and CPU at 500 sessions, per window.
        windows: numbers(process.env.BENCH_CAPACITY_WINDOWS ?? '0,16,33,50'),
        windowsAt: Number(process.env.BENCH_CAPACITY_PER_CHUNK_AT ?? 500),
        // Capacity ramps of ours per window (1 worker), each beside the framework alone.
        rampWindows: numbers(process.env.BENCH_CAPACITY_RAMP_WINDOWS ?? '0,16,33,50'),
        rampRounds: Number(process.env.BENCH_CAPACITY_RAMP_ROUNDS ?? 2),
        defaultWindow: DEFAULT_COALESCE_MS,
      },
    };

const rows: Row[] = [];
const step = async (name: string, run: () => Promise<Row[]>) => {
  if (!wanted(name)) return;
  const start = performance.now();
  const result = await run();
  rows.push(...result);
  printTable(result);
  console.log(`  (${name}: ${((performance.now() - start) / 1000).toFixed(1)} s)\n`);
};

const started = performance.now();
const loadAtStart = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
await step('core', () => coreThroughput(size.core, rounds));
await step('latency', () => coreLatency(size.latency, 100_000, rounds));
await step('memory', () => memoryStalledReader(size.memory, 1000, smoke ? 1 : 3));
await step('session', () => sessionOverhead(size.session, smoke ? 2 : 20, smoke ? 1 : 7));
await step('websocket', () => websocketOneClient(size.ws, 10_000, rounds));
await step('fanout', () => fanout(size.fanout, size.fanoutChunks));
await step('slow', () => slowClientAmongFast(size.fast, size.slowChunks, smoke ? 1 : 3));
await step('wire', async () => wireBytes(smoke ? 1_000 : 20_000));
// Issue 9 item 3; full size only (four server processes; minutes with the old default's cap).
if (!smoke) await step('long', () => longReply(Number(process.env.BENCH_LONG_CHUNKS ?? 100_000), 8, 60_000));
await step('resume-send', () => resumeSendCost(size.ws, 10_000, rounds));
await step('resume-idle', () => resumeIdleMemory(smoke ? 3 : 50, 300, smoke ? 1 : 3));
await step('capacity', async () => (await capacity(size.capacity)).rows);
await step('browser', () => browserPage(smoke ? 2_000 : 100_000, smoke ? 1 : 3));
await step('ai-sdk', () => aiSdkPaths(smoke ? 500 : 20_000, 10_000, rounds));
console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);

const atEnd = machine();
atEnd.load = `${loadAtStart} at the start, ${atEnd.load} at the end`;
const report: Report = { machine: atEnd, size: smoke ? 'smoke' : 'full', rounds, rows };
const root = new URL('..', import.meta.url).pathname;
const outDir = smoke ? mkdtempSync(join(tmpdir(), 'bench-smoke-')) : root;
const markdown = join(outDir, 'BENCHMARKS.md');
if (selected.length === 0 || smoke) {
  const json = smoke ? join(outDir, 'results.json') : join(root, 'bench/results.json');
  writeReport(report, json, markdown);
  if (!smoke) writeFigures(root);
  console.log(
    `wrote ${json} and ${markdown}${smoke ? '' : ', and the figures of the README and docs/performance.md'}`,
  );
} else {
  const json = join(root, `bench/results-${selected.join('-')}.json`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  if (selected.includes('capacity')) {
    const section = capacitySection(
      rows.filter((r) => r.scenario.startsWith('10. capacity')),
      report.machine,
      '',
    );
    writeFileSync(markdown, mergeCapacitySection(readFileSync(markdown, 'utf8'), section));
    writeFigures(root);
    console.log(`wrote ${json}; replaced the capacity section of ${markdown} and the figures quoted from it`);
  } else if (selected.length === 1 && selected[0] === 'browser') {
    writeFileSync(
      markdown,
      mergeScenarioRows(readFileSync(markdown, 'utf8'), rows, report.machine, 'npm run bench -- browser'),
    );
    writeFigures(root);
    console.log(`wrote ${json}; replaced the Chromium rows of ${markdown} and the figures quoted from it`);
  } else console.log(`wrote ${json} (BENCHMARKS.md is written by full, capacity and browser runs only)`);
}
const missed = rows.filter((r) => verdictOf(r) === 'missed');
if (missed.length > 0)
  console.log(`bars missed: ${missed.map((r) => `${r.scenario} / ${r.contestant}`).join('; ')}`);
const noisy = rows.filter((r) => verdictOf(r) === 'within noise');
if (noisy.length > 0)
  console.log(`within noise: ${noisy.map((r) => `${r.scenario} / ${r.contestant}`).join('; ')}`);
