import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { RedisFrameLog, RedisSessionStore } from '../src/session/stores/redis.js';
import { waitFor } from './helpers/await.js';
import { ConversationLLM, conversationAgent } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

let redisServer: RedisProcess;
const clients: Redis[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await redisServer?.stop();
});

/** A server process's worth of state: its own Redis connection, log and store, on one prefix. */
async function serverOnRedis(prefix: string, errors: string[]) {
  const redis = new Redis(redisServer.url);
  clients.push(redis);
  return startServer({
    resumeWindowMs: 30_000,
    rateLimit: false,
    createAgent: () => conversationAgent(),
    createLLM: () => new ConversationLLM(),
    frameLog: new RedisFrameLog(redis, { prefix }),
    sessionStore: new RedisSessionStore(redis, { prefix, leaseMs: 600 }),
    onError: (error, where) => errors.push(`${where}: ${String(error)}`),
  });
}

const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
const deltaText = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'delta' ? f.delta : '')).join('');

describe('concurrent resumes of one token on another server', () => {
  it('five at once: each resumes in turn and takes over from the one before; the last holds it; no errors, one session', async () => {
    const errors: string[] = [];
    const a = await serverOnRedis('race:', errors);
    const b = await serverOnRedis('race:', errors);
    const first = await TestClient.connect(a.url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    await first.turn('remember pear');
    const last = seqOf(first.frames.at(-1)!);
    first.socket.terminate();
    await first.closed;

    const resumers = Array.from({ length: 5 }, () => new TestClient(`${b.url}?resume=1`));
    await Promise.all(resumers.map((r) => r.opened));
    for (const r of resumers) r.send({ type: 'resume', token, seq: last });
    // Each is answered: a ready that resumes, never session_expired.
    await waitFor(
      () => resumers.every((r) => r.frames.some((f) => f.type === 'ready') || r.closeCode !== undefined),
      'every resume to be answered',
      30_000,
    );
    await waitFor(() => resumers.filter((r) => r.closeCode === undefined).length === 1, 'one holder');
    for (const r of resumers) {
      expect(r.frames.some((f) => f.type === 'error' && f.code === 'session_expired')).toBe(false);
      expect(r.frames[0]).toMatchObject({ type: 'ready', resumed: true, token });
    }
    const replaced = resumers.filter((r) => r.closeCode !== undefined);
    expect(replaced.map((r) => r.closeCode)).toEqual([1000, 1000, 1000, 1000]);
    const holder = resumers.find((r) => r.closeCode === undefined)!;
    expect(deltaText(await holder.turn('recall'))).toBe('You asked me to remember pear.');
    // One session on B (A gave its up), nothing leaked, nothing reported.
    expect(b.activeSessions).toBe(1);
    await waitFor(() => a.activeSessions === 0, 'A to give the session up');
    expect(errors).toEqual([]);
  }, 60_000);
});
