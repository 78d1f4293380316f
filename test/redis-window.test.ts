import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { RedisFrameLog, RedisSessionStore } from '../src/session/stores/redis.js';
import { ConversationLLM, conversationAgent } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

// `resumeWindowMs` is how long a session waits for its client. With a shared store, the window
// must hold when the process that holds the session goes (closed or killed) before it is over:
// another process must not resume the token after it, as it would for the store's idleTtlMs.

const WINDOW_MS = 500;
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

function inProcessServer(prefix: string) {
  const redis = new Redis(redisServer.url);
  redisClients.push(redis);
  return startServer({
    resumeWindowMs: WINDOW_MS,
    rateLimit: false,
    createAgent: () => conversationAgent(),
    createLLM: () => new ConversationLLM(),
    frameLog: new RedisFrameLog(redis, { prefix }),
    sessionStore: new RedisSessionStore(redis, { prefix, leaseMs: 600 }),
  });
}

/** A real server process (test/helpers/redis-server-process.ts); resolves with its URL. */
async function serverProcess(prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/redis-server-process.ts'], {
    env: { ...process.env, REDIS_URL: redisServer.url, PREFIX: prefix, RESUME_WINDOW_MS: String(WINDOW_MS) },
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

/** Until the store holds one token under `prefix`, expiring within the window. */
async function waitForWindowStarted(prefix: string): Promise<void> {
  const redis = new Redis(redisServer.url);
  redisClients.push(redis);
  for (;;) {
    const [key] = await redis.keys(`${prefix}tok:*`);
    const ttl = key === undefined ? -2 : await redis.pttl(key);
    if (ttl > 0 && ttl <= WINDOW_MS) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
const tokenOf = (client: TestClient) => {
  const ready = client.frames[0]!;
  return ready.type === 'ready' ? ready.token! : '';
};
/** Well past the window: three times it, so a busy machine cannot make it look open. */
const pastTheWindow = () => new Promise((resolve) => setTimeout(resolve, 3 * WINDOW_MS));

describe('the resume window holds across processes', () => {
  it('the client leaves, then its server closes: after the window, another server answers session_expired', async () => {
    const a = await inProcessServer('w1:');
    const b = await inProcessServer('w1:');
    const client = await TestClient.connect(a.url);
    await client.turn('remember plum');
    await client.close();
    await a.close();
    await pastTheWindow();
    const late = await TestClient.resume(b.url, tokenOf(client), seqOf(client.frames.at(-1)!));
    expect(late.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
    expect((await late.turn('recall')).some((f) => f.type === 'delta' && f.delta.includes('plum'))).toBe(
      false,
    );
  }, 30_000);

  it('the client leaves, then its server is killed: after the window, another server answers session_expired', async () => {
    const [a, b] = await Promise.all([serverProcess('w2:'), serverProcess('w2:')]);
    const client = await TestClient.connect(a.url);
    await client.turn('remember fig');
    await client.close();
    // A has seen its client go (the store's copy of the token now lasts the window), then dies.
    await waitForWindowStarted('w2:');
    a.child.kill('SIGKILL');
    await pastTheWindow();
    const late = await TestClient.resume(b.url, tokenOf(client), seqOf(client.frames.at(-1)!));
    expect(late.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
  }, 30_000);
});
