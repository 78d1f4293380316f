/**
 * `npm run demo`: the streaming server and its chat page on one port (8765, `PORT` overrides).
 * Offline by default; set OPENAI_API_KEY to use OpenAI.
 */
import { initializeLogger } from '@livekit/agents';
import { chooseLLM } from './llm-choice.js';
import { startDemo } from './start.js';

initializeLogger({ pretty: false, level: 'warn' });

const llm = chooseLLM();
const demo = await startDemo({
  port: Number(process.env.PORT ?? 8765),
  host: process.env.HOST ?? '127.0.0.1',
  createLLM: llm.create,
});

console.log(`LLM: ${llm.description}`);
console.log(`Chat page:  ${demo.pageUrl}`);
console.log(`WebSocket:  ${demo.server.url}`);
console.log('Press Ctrl+C to stop.');

const stop = () => {
  void demo.close().finally(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
