/**
 * The capacity benchmark's server: `ours` (createStreamingServer, a PacedLLM per session), `raw`
 * (the same paced stream written straight to `ws`, no framework) or `frameworkWs` (the framework with
 * the smallest output that reaches a socket: what an app pays to deliver the text without us), on
 * `workers` processes sharing one port (runWorkers). Forked with IPC by bench/scenarios/capacity.ts;
 * sends `{ port, pids }` once up.
 *   argv: <ours|raw|frameworkWs> <workers> <chunks> <perSecond> [coalesceMs]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { initializeLogger, voice } from '@livekit/agents';
import { type WebSocket, WebSocketServer } from 'ws';
import { TextOutputBase } from '../src/core/text-output.js';
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

/** A `ws` server on a free loopback port whose sockets `onConnection` serves; `close` ends them all. */
async function listenWs(onConnection: (socket: WebSocket) => void) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', onConnection);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    port: (http.address() as AddressInfo).port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const startRaw = () =>
  listenWs((socket) => {
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

/** Each chunk the framework hands its output goes to the socket as it is: no reader, no log, no window. */
class SocketOutput extends TextOutputBase {
  constructor(private readonly socket: WebSocket) {
    super();
  }
  async captureText(text: string | { text: string }): Promise<void> {
    if (this.socket.readyState === this.socket.OPEN)
      this.socket.send(
        JSON.stringify({ type: 'delta', delta: typeof text === 'string' ? text : text.text, generation: 1 }),
      );
  }
  flush(): void {}
}

/**
 * The framework delivered the shortest way: one AgentSession per socket whose text output writes
 * each chunk to it, a `run()` per message, `result` when it ends. What any app pays to get the
 * framework's text to a client, without resume, tool steps, ordering or back-pressure.
 */
const startFrameworkWs = () =>
  listenWs(async (socket) => {
    const session = new voice.AgentSession({ llm: new PacedLLM(n, rate), userAwayTimeout: null });
    session.output.transcription = new SocketOutput(socket);
    socket.once('close', () => void session.close());
    await session.start({ agent: new voice.Agent({ instructions: 'bench' }) });
    socket.on('message', () => {
      const end = (type: 'result' | 'error') => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type, events: [] }));
      };
      session
        .run({ userInput: 'go' })
        .wait()
        .then(
          () => end('result'),
          () => end('error'),
        );
    });
    socket.send(JSON.stringify({ type: 'ready' }));
  });

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
  start: kind === 'raw' ? startRaw : kind === 'frameworkWs' ? startFrameworkWs : startOurs,
  respawn: false,
});
if (pool.isPrimary) {
  process.send!({ type: 'ready', port: pool.port, pids: pool.pids });
  process.on('message', (message) => {
    if (message === 'close') void pool.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void pool.close().then(() => process.exit(0)));
}
