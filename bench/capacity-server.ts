/**
 * The capacity benchmark's server: `ours` (createStreamingServer, a PacedLLM per session) or `raw`
 * (the same paced stream written straight to `ws`, no framework), on `workers` processes sharing one
 * port (runWorkers). Forked with IPC by bench/scenarios/capacity.ts; sends `{ port, pids }` once up.
 *   argv: <ours|raw> <workers> <chunks> <perSecond>
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initializeLogger, voice } from '@livekit/agents';
import { WebSocketServer } from 'ws';
import { createStreamingServer, runWorkers } from '../src/server/index.js';
import { PacedLLM, streamPaced } from './paced.js';

initializeLogger({ pretty: false, level: 'error' });

const [kind = 'ours', workers = '1', chunks = '300', perSecond = '50'] = process.argv.slice(2);
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
