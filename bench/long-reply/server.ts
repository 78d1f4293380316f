/**
 * The server of bench/scenarios/long-reply.ts, in its own process (as in production, the clients'
 * work is not on its event loop). Prints its URL on stdout.
 *   argv: <chunks> <chunk size> <budget: default|off>
 *   'short' gets a 20-chunk reply; anything else the long one.
 */
import { initializeLogger, voice } from '@livekit/agents';
import { createStreamingServer } from '../../src/server/index.js';
import { ScriptedChunkLLM } from '../../test/helpers/scripted-llm.js';

initializeLogger({ pretty: false, level: 'error' });

const chunks = Number(process.argv[2] ?? 100_000);
const size = Number(process.argv[3] ?? 8);
const budget = process.argv[4] === 'off' ? false : undefined;
const long = Array.from({ length: chunks }, (_, i) => String(i % 10).repeat(size));
const short = Array.from({ length: 20 }, () => 'word ');

const server = await createStreamingServer({
  port: 0,
  createAgent: () => new voice.Agent({ instructions: 'bench' }),
  createLLM: () => new ScriptedChunkLLM((message) => (message === 'short' ? short : long)),
  rateLimit: false,
  heartbeatIntervalMs: 0,
  // 'off' is the old default: `accumulated` on every frame, no merging.
  ...(budget === false ? { accumulatedBudget: false } : {}),
  onError: (error, where) => console.error(where, error),
});
console.log(server.url);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
