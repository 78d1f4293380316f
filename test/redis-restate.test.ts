import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { MemoryFrameLog } from '../src/session/frame-log.js';
import { RedisFrameLog, RedisSessionStore } from '../src/session/stores/redis.js';
import { ConversationLLM, conversationAgent, replyFor } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

// A log bounded to 8 frames and a client that left at seq 3 of a 300-chunk reply: resumed on
// another process, it must get the turn restated (as a local resume does), not a jump from its
// first characters to the last 8 deltas.

const MAX_FRAMES = 8;
let redisServer: RedisProcess;
const redisClients: Redis[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  redisServer = await startRedis();
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  for (const client of redisClients) client.disconnect();
  await redisServer?.stop();
});

function redis(): Redis {
  const client = new Redis(redisServer.url);
  redisClients.push(client);
  return client;
}

function inProcessServer(prefix: string) {
  const shared = redis();
  return startServer({
    resumeWindowMs: 30_000,
    rateLimit: false,
    createAgent: () => conversationAgent(),
    createLLM: () => new ConversationLLM(),
    frameLog: new RedisFrameLog(shared, { prefix, maxFrames: MAX_FRAMES }),
    sessionStore: new RedisSessionStore(shared, { prefix, leaseMs: 600 }),
  });
}

async function serverProcess(prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/redis-server-process.ts'], {
    env: { ...process.env, REDIS_URL: redisServer.url, PREFIX: prefix, MAX_FRAMES: String(MAX_FRAMES) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
  });
  return { url, child };
}

const tokenOf = (client: TestClient) => {
  const ready = client.frames[0]!;
  return ready.type === 'ready' ? ready.token! : '';
};
const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
const kinds = (frames: ServerFrame[]) =>
  frames.map((f) => (f.type === 'error' ? f.code : f.type === 'delta' && f.restate ? 'restate' : f.type));

/** The seq of the newest frame in a session's stream (any session under `prefix`). */
async function newestLogged(client: Redis, prefix: string): Promise<number> {
  const [key] = await client.keys(`${prefix}*:frames`);
  if (key === undefined) return 0;
  const [entry] = (await client.xrevrange(key, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
  return entry === undefined ? 0 : Number.parseInt(entry[0], 10);
}

describe('a resume on another process, from before what the log holds, restates the turn', () => {
  it('takeover from a live holder: resume_gap, then the whole turn restated, nothing skipped', async () => {
    const a = await inProcessServer('rs1:');
    const b = await inProcessServer('rs1:');
    const client = await TestClient.connect(a.url);
    const reply = replyFor('count 300', [])[0]!;
    client.ask('count 300', 'c');
    await client.waitFor((f) => seqOf(f) >= 3);
    client.socket.terminate();
    await client.closed;
    const back = await TestClient.resume(b.url, tokenOf(client), 3);
    await back.waitFor((f) => (f.type === 'result' || f.type === 'error') && f.id === 'c');
    const [ready, ...rest] = back.frames;
    expect(ready).toMatchObject({ type: 'ready', resumed: true });
    // A finished the turn before it gave the session up, or B took it over mid-turn.
    if (rest[1]?.type === 'complete') {
      expect(kinds(rest)).toEqual(['resume_gap', 'complete', 'result']);
      expect(rest[1]).toMatchObject({ id: 'c', text: reply });
    } else {
      expect(kinds(rest)).toEqual(['resume_gap', 'restate', 'turn_lost']);
      const restated = rest[1] as { delta: string };
      expect(reply.startsWith(restated.delta)).toBe(true);
    }
  }, 30_000);

  it('the holder dies mid-turn: resume_gap, the turn restated through the last frame it logged, then turn_lost', async () => {
    const [a, b] = await Promise.all([serverProcess('rs2:'), serverProcess('rs2:')]);
    const watcher = redis();
    const client = await TestClient.connect(a.url);
    client.ask('count 100000', 'long');
    await client.waitFor((f) => seqOf(f) >= 3);
    client.socket.terminate();
    await client.closed;
    // The turn goes on without its client, far past what an 8-frame log holds; then A dies.
    while ((await newestLogged(watcher, 'rs2:')) < 300) await new Promise((r) => setTimeout(r, 20));
    a.child.kill('SIGKILL');
    const back = await TestClient.resume(b.url, tokenOf(client), 3);
    await back.waitFor((f) => f.type === 'error' && f.code === 'turn_lost');
    expect(kinds(back.frames)).toEqual(['ready', 'resume_gap', 'restate', 'turn_lost']);
    const restated = back.frames[2] as { delta: string; id?: string };
    expect(restated.id).toBe('long');
    // Through every delta A logged: at least the first 300 frames' worth of words, in order.
    expect(replyFor('count 100000', [])[0]!.startsWith(restated.delta)).toBe(true);
    expect(restated.delta.length).toBeGreaterThan(replyFor('count 250', [])[0]!.length);
  }, 60_000);

  it('RedisFrameLog keeps the last 2 turns whole for it, beside its bounded stream, and no more', async () => {
    const log = new RedisFrameLog(redis(), { prefix: 'rs3:', maxFrames: 2 });
    let seq = 0;
    for (const id of ['t1', 't2', 't3', 't4']) {
      for (let i = 0; i < 5; i++)
        log.append('s', { type: 'delta', delta: `${id}.${i} `, generation: 1, id, seq: ++seq });
      log.append('s', { type: 'tool_step', step: 'x', seq: ++seq } as never);
      log.append('s', { type: 'complete', text: id, generation: 1, id, seq: ++seq });
      log.append('s', { type: 'result', events: [], id, seq: ++seq });
    }
    const kept = await log.turnFrames('s');
    expect(new Set(kept.map((f) => ('id' in f ? f.id : undefined)))).toEqual(new Set(['t3', 't4']));
    expect(kept.map((f) => f.type)).toEqual([
      ...Array(5).fill('delta'),
      'complete',
      'result',
      ...Array(5).fill('delta'),
      'complete',
      'result',
    ]);
    log.delete('s');
    expect(await log.turnFrames('s')).toEqual([]);
  });
});

describe('MemoryFrameLog with keepTurns (the log runWorkers shares)', () => {
  it('keeps the last 2 turns whole beside its byte bound, and no more; without keepTurns, none', async () => {
    const log = new MemoryFrameLog({ maxBytes: 200, keepTurns: true });
    let seq = 0;
    for (const id of ['t1', 't2', 't3', 't4']) {
      for (let i = 0; i < 5; i++) {
        log.append('s', { type: 'delta', delta: `${id}.${i} `, generation: 1, id, seq: ++seq });
      }
      log.append('s', { type: 'complete', text: id, generation: 1, id, seq: ++seq });
      log.append('s', { type: 'result', events: [], id, seq: ++seq });
    }
    expect((await log.read('s', 0)).gap).toBe(true);
    const kept = await log.turnFrames!('s');
    expect(new Set(kept.map((f) => ('id' in f ? f.id : undefined)))).toEqual(new Set(['t3', 't4']));
    expect(kept).toHaveLength(14);
    expect(new MemoryFrameLog().turnFrames).toBeUndefined();
  });
});
