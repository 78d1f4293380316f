/**
 * Run in a child process: `clients` clients mid-stream, then server.close(). Prints figures and
 * must then exit by itself (the test kills it if anything keeps it alive).
 */
import { initializeLogger, voice } from '@livekit/agents';
import { createStreamingServer } from '../../src/server/index.js';
import { ScriptedChunkLLM } from '../helpers/scripted-llm.js';
import { TestClient } from '../helpers/ws-client.js';

initializeLogger({ pretty: false, level: 'error' });
const count = Number(process.argv[2] ?? 200);
const chunks = Array.from({ length: 100_000 }, (_, i) => `w${i} `);
const server = await createStreamingServer({
  port: 0,
  createAgent: () => new voice.Agent({ instructions: 'shutdown' }),
  createLLM: () => new ScriptedChunkLLM(() => chunks, 4),
  rateLimit: false,
});
const clients = await Promise.all(Array.from({ length: count }, () => TestClient.connect(server.url)));
for (const c of clients) c.ask('go');
await Promise.all(clients.map((c) => c.waitFor((f) => f.type === 'delta')));
const start = performance.now();
await server.close();
const closeMs = performance.now() - start;
const codes = await Promise.all(clients.map((c) => c.closed));
const midStream = clients.filter((c) => !c.frames.some((f) => f.type === 'result')).length;
console.log(
  JSON.stringify({
    clients: count,
    closeMs: Math.round(closeMs),
    all1001: codes.every((c) => c === 1001),
    midStreamWhenClosed: midStream,
    activeSessions: server.activeSessions,
  }),
);
