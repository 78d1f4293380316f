import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStreamingServer } from '../src/server/index.js';
import { RedisFrameLog, RedisSessionStore } from '../src/session/stores/redis.js';
import { settledWithin } from './helpers/await.js';
import { ConversationLLM, conversationAgent } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

// A Redis that stops answering with its connections open: a hung host or a partition. Nothing
// fails a command then (ioredis waits for the answer), so only our own bound ends the wait.
let redisServer: RedisProcess;
const clients: Redis[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
});
afterEach(() => redisServer.resume());
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redisServer?.stop();
});

function redisClient(): Redis {
  const client = new Redis(redisServer.url);
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

const stores = (redis: Redis, prefix: string, commandTimeoutMs = 400) => {
  const errors: string[] = [];
  const onError = (error: unknown, where: string) => errors.push(`${where}: ${String(error)}`);
  return {
    errors,
    frameLog: new RedisFrameLog(redis, { prefix, commandTimeoutMs, onError }),
    sessionStore: new RedisSessionStore(redis, { prefix, commandTimeoutMs, onError, leaseMs: 600 }),
  };
};

describe('Redis stops answering', { timeout: 30_000 }, () => {
  it('commandTimeoutMs is checked at construction', () => {
    const redis = { call: async () => null };
    expect(() => new RedisFrameLog(redis, { commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisSessionStore(redis, { commandTimeoutMs: Number.NaN })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisSessionStore(redis, { commandTimeoutMs: '5' as never })).toThrow(
      /commandTimeoutMs/,
    );
    // Past a Node timer's limit the timer would fire after 1 ms: every command would fail at once.
    expect(() => new RedisFrameLog(redis, { commandTimeoutMs: 2 ** 31 })).toThrow(
      /commandTimeoutMs.*at most/,
    );
    expect(() => new RedisSessionStore(redis, { leaseMs: 2 ** 31 })).toThrow(/leaseMs.*at most/);
    // A handler that is not a function would turn the first Redis error into an unhandled rejection.
    expect(() => new RedisFrameLog(redis, { onError: 'x' as never })).toThrow(/onError/);
    expect(() => new RedisSessionStore(redis, { onError: 1 as never })).toThrow(/onError/);
  });

  it('createStreamingServer rejects with an error that names the bound, instead of waiting forever', async () => {
    const redis = redisClient();
    await redis.ping();
    redisServer.pause();
    const { frameLog, sessionStore } = stores(redis, 'o1:');
    const started = createStreamingServer({
      port: 0,
      resumeWindowMs: 10_000,
      createAgent: () => conversationAgent(),
      createLLM: () => new ConversationLLM(),
      frameLog,
      sessionStore,
    });
    // Settled (not a hang that only the test's timeout would end), and rejected with a message that names the bound.
    expect(await settledWithin(started, 10_000)).toBe('settled');
    await expect(started).rejects.toThrow(/did not answer SET within 400 ms \(`commandTimeoutMs`\)/);
  });

  it('turns go on; a resume that needs Redis gets session_expired and a fresh session; close() ends', async () => {
    const shared = {
      resumeWindowMs: 10_000,
      createAgent: () => conversationAgent(),
      createLLM: () => new ConversationLLM(),
    };
    const a = stores(redisClient(), 'o2:');
    const b = stores(redisClient(), 'o2:');
    const serverA = await startServer({ ...shared, frameLog: a.frameLog, sessionStore: a.sessionStore });
    const serverErrors: string[] = [];
    const serverB = await startServer({
      ...shared,
      frameLog: b.frameLog,
      sessionStore: b.sessionStore,
      onError: (error, where) => serverErrors.push(`${where}: ${String(error)}`),
    });
    const first = await TestClient.connect(serverA.url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    expect(token).not.toBe('');
    await first.turn('remember apple');

    redisServer.pause();
    // The session is held here: its turns need no answer from Redis.
    const during = await first.turn('recall');
    expect(during.at(-1)?.type).toBe('result');
    expect(textOfTurn(during)).toBe('You asked me to remember apple.');

    // Process B does not hold the token: resuming it needs Redis, which is not answering.
    const resumer = await TestClient.resume(serverB.url, token, 0);
    expect(resumer.frames.map((f) => (f.type === 'error' ? f.code : f.type))).toEqual([
      'session_expired',
      'ready',
    ]);
    // A fresh session: it knows nothing of the conversation it could not fetch.
    const fresh = await resumer.turn('recall');
    expect(fresh.at(-1)?.type).toBe('result');
    expect(textOfTurn(fresh)).toBe('You asked me to remember .');
    expect(serverErrors).toContainEqual(
      expect.stringMatching(/^resume from the session store: .*did not answer HGETALL within 400 ms/),
    );

    // Redis is still not answering: each close waits one bound for the lease's DEL, not for Redis.
    const closedAt = Date.now();
    const closing = Promise.all([serverA.close(), serverB.close()]);
    expect(await settledWithin(closing, 10_000)).toBe('settled');
    await closing;
    console.log(`redis outage: both servers closed ${Date.now() - closedAt} ms after close()`);
    expect(await first.closed).toBe(1001);
  });
});
