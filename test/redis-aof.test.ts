import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { MemoryFrameLog } from '../src/session/frame-log.js';
import { RedisFrameLog } from '../src/session/stores/redis.js';
import { waitFor } from './helpers/await.js';
import { ConversationLLM, conversationAgent, replyFor } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

// Frames a log lost (a Redis killed and restarted, appends that failed meanwhile) leave a hole
// in the seqs it holds. A read must say so (`resume_gap`), never replay across the hole.

let redisServer: RedisProcess;
let redis: Redis;

beforeAll(async () => {
  redisServer = await startRedis({ appendonly: true });
  redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
});
afterAll(async () => {
  redis?.disconnect();
  await redisServer?.stop();
});

const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
const delta = (seq: number): SequencedFrame => ({ type: 'delta', delta: `d${seq} `, generation: 1, seq });
const deltaText = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'delta' ? f.delta : '')).join('');

describe('a log read never hands out a hole in its seqs without saying so', () => {
  it('RedisFrameLog: entries missing in the middle or at the start are a gap; only the run after the last hole is returned', async () => {
    const log = new RedisFrameLog(redis, { prefix: 'hole1:' });
    for (let seq = 1; seq <= 10; seq++) log.append('s', delta(seq));
    // As a Redis restart loses the writes it had not persisted.
    await redis.call('XDEL', 'hole1:s:frames', '5-0', '6-0', '7-0');
    expect(await log.read('s', 2)).toEqual({ gap: true, frames: [delta(8), delta(9), delta(10)] });
    expect(await log.read('s', 7)).toEqual({ gap: false, frames: [delta(8), delta(9), delta(10)] });
    await redis.call('XDEL', 'hole1:s:frames', '1-0');
    expect((await log.read('s', 0)).gap).toBe(true);
  });

  it('MemoryFrameLog: the same check on the same interface', async () => {
    const log = new MemoryFrameLog();
    for (const seq of [1, 2, 3, 7, 8]) log.append('s', delta(seq));
    expect(await log.read('s', 1)).toEqual({ gap: true, frames: [delta(7), delta(8)] });
    expect(await log.read('s', 6)).toEqual({ gap: false, frames: [delta(7), delta(8)] });
  });

  it('Redis with AOF killed mid-turn and restarted: the resume says resume_gap and restates the turn; the text is exact', async () => {
    const errors: string[] = [];
    const server = await startServer({
      resumeWindowMs: 30_000,
      rateLimit: false,
      createAgent: () => conversationAgent(),
      // Paced at 1 ms a word: the turn is still running after Redis's kill and restart, whichever Node
      // runs it (unpaced, Node 24 finished all 100,000 words while Redis was down).
      createLLM: () => new ConversationLLM(1),
      frameLog: new RedisFrameLog(redis, { prefix: 'aof:', onError: (_e, where) => errors.push(where) }),
    });
    const client = await TestClient.connect(server.url);
    const ready = client.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    client.ask('count 100000', 'long');
    const left = await client.waitFor((f) => f.type === 'delta' && f.delta.includes('w20 '));
    const seen = seqOf(client.frames[left]!);
    await client.waitFor((f) => f.type === 'delta' && f.delta.includes('w50 '));
    await redisServer.kill();
    // Frames go on being sent while Redis is down: their appends fail (after ioredis's one retry).
    await waitFor(() => errors.includes('XADD'), 'an append to fail', 30_000);
    await client.waitFor((f) => f.type === 'delta', client.frames.length + 50, 30_000);
    await redisServer.restart();
    // Appends land again once ioredis has reconnected.
    for (;;) {
      try {
        await redis.ping();
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await client.waitFor((f) => f.type === 'delta', client.frames.length + 50, 30_000);
    client.socket.terminate();
    await client.closed;
    // The client has everything up to `seen`, and resumes from there.
    const upTo = client.frames.filter((f) => seqOf(f) !== undefined && seqOf(f) <= seen);
    const back = await TestClient.resume(server.url, token, seen);
    back.send({ type: 'interrupt' });
    await back.waitFor((f) => f.type === 'result' && f.id === 'long');
    const [again, gap, restate] = back.frames;
    expect(again).toMatchObject({ type: 'ready', resumed: true });
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    expect(restate).toMatchObject({ type: 'delta', id: 'long', restate: true });
    // The restated text replaces what the client had of the turn; then it goes on, no hole.
    const text = (restate as { delta: string }).delta + deltaText(back.frames.slice(3));
    expect(deltaText(upTo).length).toBeLessThan(text.length);
    expect(replyFor('count 100000', [])[0]!.startsWith(text)).toBe(true);
  }, 90_000);
});
