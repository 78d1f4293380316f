/**
 * The capacity benchmark's server: `ours` (createStreamingServer, a PacedLLM per session) or `raw`
 * (the same paced stream written straight to `ws`, no framework), on `workers` processes sharing one
 * port (runWorkers). Forked with IPC by bench/scenarios/capacity.ts; sends `{ port, pids }` once up.
 *   argv: <ours|raw> <workers> <chunks> <perSecond> [coalesceMs]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { initializeLogger, voice } from '@livekit/agents';
import { WebSocketServer } from 'ws';
import { createStreamingServer, runWorkers } from '../src/server/index.js';
import { PacedLLM, sharedNow, streamPaced } from './paced.js';

initializeLogger({ pretty: false, level: 'error' });

if (process.env.BENCH_STALLS) watchStalls();

/**
 * `BENCH_STALLS=1`: prints each event-loop stall over 30 ms and each GC pause over 10 ms of this
 * process, stamped on the clock every process shares, so bench/capacity-timeline.ts can line them
 * up with the slow chunks the clients saw.
 */
function watchStalls(): void {
  const tickMs = 5;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - tickMs;
    last = now;
    if (late > 30)
      console.log(`stall ${process.pid} at ${sharedNow().toFixed(0)}: event loop ${late.toFixed(0)} ms late`);
  }, tickMs).unref();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration > 10)
        console.log(
          `stall ${process.pid} at ${(performance.timeOrigin + entry.startTime).toFixed(0)}: GC ${entry.duration.toFixed(0)} ms (kind ${(entry as { detail?: { kind?: number } }).detail?.kind})`,
        );
    }
  }).observe({ entryTypes: ['gc'] });
}

const [kind = 'ours', workers = '1', chunks = '300', perSecond = '50', coalesceMs = '0'] =
  process.argv.slice(2);
const n = Number(chunks);
const rate = Number(perSecond);

async function startRaw() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'ready' }));
    socket.on('message', () => {
      void streamPaced(n, rate, (delta) => {
        if (socket.readyState === socket.OPEN)
          socket.send(JSON.stringify({ type: 'delta', delta, generation: 1 }));
      }).then(() => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'result', events: [] }));
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const startOurs = () =>
  createStreamingServer({
    port: 0,
    host: '127.0.0.1',
    createAgent: () => new voice.Agent({ instructions: 'bench' }),
    createLLM: () => new PacedLLM(n, rate),
    rateLimit: false,
    maxConnections: 100_000,
    heartbeatIntervalMs: 0,
    turnTimeoutMs: 3_600_000,
    // The client rebuilds the text; `accumulated` on every frame grows with the square of the reply.
    sendAccumulated: false,
    coalesceMs: Number(coalesceMs),
    // The default keeps each session 30 s after its socket closes, for a resume that never comes
    // here; BENCH_RESUME_WINDOW_MS sets it, to see what those sessions cost a later step.
    ...(process.env.BENCH_RESUME_WINDOW_MS
      ? { resumeWindowMs: Number(process.env.BENCH_RESUME_WINDOW_MS) }
      : {}),
    onError: (error, where) => console.error(where, error),
  });

const pool = await runWorkers({
  workers: Number(workers),
  start: kind === 'raw' ? startRaw : startOurs,
  respawn: false,
});
if (pool.isPrimary) {
  process.send!({ type: 'ready', port: pool.port, pids: pool.pids });
  process.on('message', (message) => {
    if (message === 'close') void pool.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void pool.close().then(() => process.exit(0)));
}
