/**
 * `npm run demo`: the streaming server and its chat page on one port (8765, `PORT` overrides).
 * Offline by default; set OPENAI_API_KEY to use OpenAI.
 */
import { initializeLogger } from '@livekit/agents';
import { createStreamingServer } from '../server/index.js';
import { createDemoAgent } from './index.js';
import { chooseLLM } from './llm-choice.js';
import { createPageServer } from './page-server.js';

initializeLogger({ pretty: false, level: 'warn' });

const port = Number(process.env.PORT ?? 8765);
const host = process.env.HOST ?? '127.0.0.1';
const llm = chooseLLM();

const http = await createPageServer();
await new Promise<void>((resolve, reject) => {
  http.once('error', reject);
  http.listen(port, host, resolve);
});
const origins = new Set([`http://localhost:${port}`, `http://127.0.0.1:${port}`, `http://${host}:${port}`]);
const server = await createStreamingServer({
  server: http,
  path: '/ws',
  createAgent: () => createDemoAgent(),
  createLLM: () => llm.create(),
  // The page is served from this origin; refuse pages from anywhere else.
  allowedOrigins: (origin) => origin !== undefined && origins.has(origin),
});

console.log(`LLM: ${llm.description}`);
console.log(`Chat page:  http://localhost:${port}/`);
console.log(`WebSocket:  ws://localhost:${port}/ws`);
console.log('Press Ctrl+C to stop.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.close();
  http.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
