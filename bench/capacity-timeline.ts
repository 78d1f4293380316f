/**
 * One capacity step, seen over time: where in the step the slow chunks are, and whether the clients'
 * own event loop stalled. A diagnostic for the capacity scenario, not a benchmark.
 *   node --import tsx bench/capacity-timeline.ts <ours|raw> <workers> <sessions>
 * Runs the ramp's smaller steps first (10, 50, 100) on the same server processes, as a ramp does,
 * then the step, and prints p50 / p99 / max emit → receive latency per half second. `BENCH_TRACE_GC=1`
 * prints the servers' GCs; `BENCH_STALLS=1` prints the servers' event-loop stalls and GC pauses on the
 * shared clock, to line up with the step's start.
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { latencies, sharedNow } from './paced.js';
import { percentile } from './stats.js';

const [kind = 'ours', workers = '2', sessions = '200'] = process.argv.slice(2);
if (kind !== 'ours' && kind !== 'raw') throw new TypeError(`unknown contestant ${kind}`);
const CHUNKS = 300;
const PER_SECOND = 50;
const WINDOW_MS = 500;

const server = fork(
  new URL('./capacity-server.ts', import.meta.url).pathname,
  [kind, workers, String(CHUNKS), String(PER_SECOND)],
  {
    execArgv: [
      '--expose-gc',
      ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof-timeline'] : []),
      '--import',
      'tsx',
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);
const { port } = await new Promise<{ port: number }>((resolve) => server.once('message', resolve as never));
const url = `ws://127.0.0.1:${port}`;

/** Runs one step; returns each chunk's [ms since the step began, emit → receive ms]. */
async function step(n: number): Promise<Array<[number, number]>> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = Array.from({ length: Math.min(100, n - i) }, () => {
      const socket = new WebSocket(url);
      sockets.push(socket);
      return new Promise<void>((resolve) => socket.once('message', () => resolve()));
    });
    await Promise.all(batch);
  }
  const began = sharedNow();
  console.log(`step of ${n} sessions began at ${began.toFixed(0)} (shared clock)`);
  const samples: Array<[number, number]> = [];
  await Promise.all(
    sockets.map(
      (socket, i) =>
        new Promise<void>((resolve) => {
          socket.on('message', (data) => {
            const now = sharedNow();
            const text = data.toString();
            if (text.startsWith('{"type":"delta"')) {
              const into: number[] = [];
              latencies(text, now, into);
              for (const ms of into) samples.push([now - began, ms]);
            } else if (text.includes('"type":"result"')) resolve();
          });
          setTimeout(() => socket.send(JSON.stringify({ message: 'go' })), (i * 1000) / n);
        }),
    ),
  );
  for (const socket of sockets) socket.close();
  await new Promise((resolve) => setTimeout(resolve, 1000 + n * 2));
  return samples;
}

for (const warmup of [10, 50, 100]) await step(warmup);
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const samples = await step(Number(sessions));
loop.disable();
const all = samples.map(([, ms]) => ms);
console.log(
  `${kind}, ${workers} worker(s), ${sessions} sessions: p50 ${percentile(all, 50).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms; clients' longest event-loop delay ${(loop.max / 1e6).toFixed(0)} ms`,
);
for (let from = 0; samples.some(([at]) => at >= from); from += WINDOW_MS) {
  const window = samples.filter(([at]) => at >= from && at < from + WINDOW_MS).map(([, ms]) => ms);
  if (window.length === 0) continue;
  const slow = window.filter((ms) => ms > 100).length;
  console.log(
    `  ${String(from).padStart(5)} ms: ${String(window.length).padStart(5)} chunks, p50 ${percentile(window, 50).toFixed(1)}, p99 ${percentile(window, 99).toFixed(1)}, max ${Math.max(...window).toFixed(1)} ms, over 100 ms: ${slow}`,
  );
}
server.send('close');
