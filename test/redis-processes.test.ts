import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { replyFor } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';
import { TestClient } from './helpers/ws-client.js';

let redis: RedisProcess;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await redis?.stop();
});

/** A real server process (tsx) on the shared Redis; resolves with its URL. */
async function serverProcess(prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/redis-server-process.ts'], {
    env: { ...process.env, REDIS_URL: redis.url, PREFIX: prefix },
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

const seqOf = (f: ServerFrame) => (f as SequencedFrame).seq;
const deltaText = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'delta' ? f.delta : '')).join('');

describe('two server processes and one Redis', () => {
  it('the holder is killed mid-turn: the other process replays what it published, then turn_lost, and the agent remembers', async () => {
    const [a, b] = await Promise.all([serverProcess('kill:'), serverProcess('kill:')]);
    const first = await TestClient.connect(a.url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    await first.turn('remember apple');
    first.ask('count 100000', 'long');
    await first.waitFor((f) => f.type === 'delta' && f.id === 'long' && f.delta === 'w50 ');
    a.child.kill('SIGKILL');
    await first.closed;
    // The client has part of what A published: it asks for the rest.
    const got = first.frames.filter((f) => seqOf(f) !== undefined);
    const seen = seqOf(got[got.findIndex((f) => f.type === 'delta' && f.delta === 'w20 ')]!);
    const second = await TestClient.resume(b.url, token, seen);
    expect(second.frames[0]).toMatchObject({ type: 'ready', resumed: true, token });
    const lostAt = await second.waitFor((f) => f.type === 'error' && f.code === 'turn_lost');
    expect(second.frames[lostAt]).toMatchObject({ id: 'long' });
    const replayed = second.frames.slice(1, lostAt);
    // Every frame A published after `seen`, in order, each once; then turn_lost numbered next.
    expect(replayed.map(seqOf)).toEqual(replayed.map((_, i) => seen + 1 + i));
    expect(seqOf(second.frames[lostAt]!)).toBe(seen + replayed.length + 1);
    const upTo = got.filter((f) => seqOf(f) <= seen);
    const text = deltaText([...upTo.filter((f) => 'id' in f && f.id === 'long'), ...replayed]);
    expect(text.length).toBeGreaterThanOrEqual('w1 w2 '.length);
    expect(replyFor('count 100000', [])[0]!.startsWith(text)).toBe(true);
    expect(deltaText(got.filter((f) => 'id' in f && f.id === 'long')).length).toBeLessThanOrEqual(
      text.length,
    );
    // A new session with the conversation rebuilt: the agent remembers.
    const recall = await second.turn('recall');
    expect(deltaText(recall)).toBe('You asked me to remember apple.');
  }, 60_000);

  it('a live process that does not hold the session takes it over from the one that does', async () => {
    const [a, b] = await Promise.all([serverProcess('take:'), serverProcess('take:')]);
    const first = await TestClient.connect(a.url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    await first.turn('remember pear');
    const last = seqOf(first.frames.at(-1)!);
    first.socket.terminate();
    await first.closed;
    const second = await TestClient.resume(b.url, token, last);
    expect(second.frames[0]).toMatchObject({ type: 'ready', resumed: true });
    expect(deltaText(await second.turn('recall'))).toBe('You asked me to remember pear.');
    // A gave it up: resuming there now finds B's session, by the same takeover.
    second.socket.terminate();
    await second.closed;
    const third = await TestClient.resume(a.url, token, seqOf(second.frames.at(-1)!));
    expect(third.frames[0]).toMatchObject({ type: 'ready', resumed: true });
    expect(deltaText(await third.turn('recall'))).toBe('You asked me to remember pear.');
  }, 60_000);
});
