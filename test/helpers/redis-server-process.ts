/**
 * A server process for the cross-process tests: one `createStreamingServer` on a free port with
 * its frame log and session store on the Redis at `REDIS_URL` (keys under `PREFIX`; resume window
 * `RESUME_WINDOW_MS`, default 30 s; frames per session `MAX_FRAMES`). Prints `{"url": ...}` once
 * listening; runs until killed.
 */
import { initializeLogger } from '@livekit/agents';
import { Redis } from 'ioredis';
import { createStreamingServer } from '../../src/server/index.js';
import { RedisFrameLog, RedisSessionStore } from '../../src/session/stores/redis.js';
import { ConversationLLM, conversationAgent } from './conversation-llm.js';

initializeLogger({ pretty: false, level: 'error' });
const redis = new Redis(process.env.REDIS_URL!);
redis.on('error', () => undefined);
const server = await createStreamingServer({
  port: 0,
  rateLimit: false,
  resumeWindowMs: Number(process.env.RESUME_WINDOW_MS ?? 30_000),
  createAgent: () => conversationAgent(),
  createLLM: () => new ConversationLLM(),
  frameLog: new RedisFrameLog(redis, {
    prefix: process.env.PREFIX,
    maxFrames: process.env.MAX_FRAMES === undefined ? undefined : Number(process.env.MAX_FRAMES),
  }),
  sessionStore: new RedisSessionStore(redis, { prefix: process.env.PREFIX, leaseMs: 600 }),
  onError: (error, where) => console.error(`[server ${process.pid}] ${where}:`, error),
});
console.log(JSON.stringify({ url: server.url }));
process.on('SIGTERM', () => {
  void server.close().then(() => {
    redis.disconnect();
    process.exit(0);
  });
});
