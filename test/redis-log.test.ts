import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { RedisFrameLog } from '../src/session/stores/redis.js';
import { waitFor } from './helpers/await.js';
import { ConversationLLM, conversationAgent, replyFor } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

let redisServer: RedisProcess;
let redis: Redis;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});

const delta = (seq: number, text = `d${seq} `): SequencedFrame => ({
  type: 'delta',
  delta: text,
  accumulated: `…${text}`,
  generation: 1,
  id: 'm',
  seq,
});

describe('RedisFrameLog on a real redis-server', () => {
  it('XREAD from a seq returns exactly the frames after it, without accumulated', async () => {
    const log = new RedisFrameLog(redis, { prefix: 't1:' });
    for (let seq = 1; seq <= 10; seq++) log.append('s', delta(seq));
    const read = await log.read('s', 4);
    expect(read.gap).toBe(false);
    expect(read.frames.map((f) => f.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(read.frames[0]).toEqual({ type: 'delta', delta: 'd5 ', generation: 1, id: 'm', seq: 5 });
    expect(await log.read('s', 10)).toEqual({ frames: [], gap: false });
    expect(await log.read('unknown', 0)).toEqual({ frames: [], gap: false });
  });

  it('MAXLEN bounds the stream; a read from before the oldest held reports the gap', async () => {
    const log = new RedisFrameLog(redis, { prefix: 't2:', maxFrames: 5 });
    for (let seq = 1; seq <= 50; seq++) log.append('s', delta(seq));
    expect(await redis.xlen('t2:s:frames')).toBe(5);
    const read = await log.read('s', 3);
    expect(read.gap).toBe(true);
    expect(read.frames.map((f) => f.seq)).toEqual([46, 47, 48, 49, 50]);
    expect((await log.read('s', 45)).gap).toBe(false);
  });

  it('each append pushes the expiry back to idleTtlMs; expire() shortens it; the key goes', async () => {
    const log = new RedisFrameLog(redis, { prefix: 't3:', idleTtlMs: 60_000 });
    log.append('s', delta(1));
    const ttl = await redis.pttl('t3:s:frames');
    expect(ttl).toBeGreaterThan(1_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    log.expire('s', 50);
    let exists = 1;
    for (let i = 0; i < 250 && exists !== 0; i++) {
      exists = await redis.exists('t3:s:frames');
      if (exists) await new Promise((r) => setTimeout(r, 20));
    }
    expect(exists).toBe(0);
  });

  it('delete() removes the stream', async () => {
    const log = new RedisFrameLog(redis, { prefix: 't4:' });
    log.append('s', delta(1));
    log.delete('s');
    expect(await redis.exists('t4:s:frames')).toBe(0);
  });

  it('a failing Redis is reported to onError, never thrown on the send path', async () => {
    // A port nothing listens on (a Redis that went away), and no queueing while disconnected.
    const gone = await startRedis();
    await gone.stop();
    const broken = new Redis(gone.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    const errors: string[] = [];
    const log = new RedisFrameLog(broken, { onError: (_e, where) => errors.push(where) });
    expect(() => log.append('s', delta(1))).not.toThrow();
    await waitFor(() => errors.length >= 1, 'the error to be reported');
    expect(errors).toContain('XADD');
    await expect(log.read('s', 0)).rejects.toThrow();
  });

  it('options are checked', () => {
    expect(() => new RedisFrameLog({} as never)).toThrow(TypeError);
    expect(() => new RedisFrameLog(redis, { maxFrames: 0 })).toThrow(RangeError);
    expect(() => new RedisFrameLog(redis, { maxFrames: '5' as never })).toThrow(TypeError);
    expect(() => new RedisFrameLog(redis, { idleTtlMs: -1 })).toThrow(RangeError);
    expect(() => new RedisFrameLog(redis, { prefix: 5 as never })).toThrow(TypeError);
  });

  it('the module does not import ioredis: it stays an optional peer', () => {
    const source = readFileSync(new URL('../src/session/stores/redis.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^import(?!\s+type)[^;]*['"](ioredis|redis)['"]/m);
  });
});

describe('a server whose frame log is Redis', () => {
  it('resumes mid-reply from the Redis log: no gap, no duplicate', async () => {
    const server = await startServer({
      resumeWindowMs: 30_000,
      rateLimit: false,
      createAgent: () => conversationAgent(),
      createLLM: () => new ConversationLLM(),
      frameLog: new RedisFrameLog(redis, { prefix: 't5:' }),
    });
    const first = await TestClient.connect(server.url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    first.ask('count 1500', 'm');
    await first.waitFor((f) => f.type === 'delta' && f.delta === 'w30 ');
    first.socket.terminate();
    await first.closed;
    const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
    const got = first.frames.slice(1);
    const last = seqOf(got.at(-1)!);
    const second = new TestClient(`${server.url}?resume=1`);
    await second.opened;
    second.send({ type: 'resume', token, seq: last });
    await second.waitFor((f) => f.type === 'result');
    const after = second.frames.slice(1);
    expect(after.map(seqOf)).toEqual(after.map((_, i) => last + 1 + i));
    const text = [...got, ...after].map((f) => (f.type === 'delta' ? f.delta : '')).join('');
    expect(text).toBe(replyFor('count 1500', [])[0]);
  });
});
