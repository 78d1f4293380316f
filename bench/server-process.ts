/**
 * A streaming server in its own process, so the benchmarks can measure its memory apart from the
 * clients'. Started with IPC by bench/scenarios/fanout.ts; answers 'report' and 'reset' messages.
 *   argv: <reply chunks> <sendAccumulated: true|false>
 */
import { initializeLogger, voice } from '@livekit/agents';
import { createStreamingServer } from '../src/server/index.js';
// Yields to the event loop between chunks, as a network stream does. (FakeLLM queues a whole
// reply at once: no socket would get a byte until the reply is done.)
import { ScriptedChunkLLM } from '../support/scripted-llm.js';

initializeLogger({ pretty: false, level: 'error' });

const chunks = Number(process.argv[2] ?? 2000);
const sendAccumulated = process.argv[3] === 'true';
const reply = 'abc'.repeat(chunks);
const replyChunks = Array.from({ length: chunks }, () => 'abc');

const server = await createStreamingServer({
  port: 0,
  createAgent: () => new voice.Agent({ instructions: 'bench' }),
  createLLM: () => new ScriptedChunkLLM(() => replyChunks),
  rateLimit: false,
  maxConnections: 10_000,
  heartbeatIntervalMs: 0,
  // Hundreds of sessions share two cores: a turn can take minutes, and must not be cut.
  turnTimeoutMs: 3_600_000,
  sendAccumulated,
  onError: (error, where) => console.error(where, error),
});

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 20);

process.on('message', async (message: string) => {
  if (message === 'reset') {
    global.gc?.();
    peakRss = process.memoryUsage().rss;
    process.send!({ type: 'reset', rss: peakRss });
  } else if (message === 'report') {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    process.send!({
      type: 'report',
      peakRss,
      rss: process.memoryUsage().rss,
      activeSessions: server.activeSessions,
    });
  } else if (message === 'close') {
    clearInterval(sampler);
    await server.close();
    process.send!({ type: 'closed' });
    process.exit(0);
  }
});
process.send!({ type: 'ready', url: server.url, reply: reply.length });
