import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { SequencedFrame } from '../src/protocol/frames.js';
import { runWorkers } from '../src/server/index.js';
import { TestClient } from './helpers/ws-client.js';

const root = new URL('..', import.meta.url).pathname;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts test/fixtures/cluster-server.ts and collects its stdout. */
function startCluster(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/cluster-server.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = async (pattern: RegExp) => {
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (child.exitCode !== null) throw new Error(`cluster exited: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, exited, line, output: () => output };
}

/** The pid in the ready frame of a fresh connection, or undefined if none came within `ms`. */
function readyPid(port: number, ms: number): Promise<number | undefined> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`);
  return new Promise<number | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    socket.once('message', (data) => {
      clearTimeout(timer);
      resolve(Number((JSON.parse(data.toString()) as { message: string }).message));
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  }).finally(() => socket.terminate());
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('runWorkers', () => {
  it('refuses bad options at once, naming the option and the value', async () => {
    await expect(runWorkers({ start: 'no' as never })).rejects.toThrow(TypeError);
    await expect(runWorkers({ start: 'no' as never })).rejects.toThrow(/`start`.*string/);
    await expect(
      runWorkers({ workers: 0, start: () => ({ port: 0, close: async () => {} }) }),
    ).rejects.toThrow(new RangeError('runWorkers: `workers` must be an integer ≥ 1, received 0'));
    await expect(
      runWorkers({ workers: 1.5, start: () => ({ port: 0, close: async () => {} }) }),
    ).rejects.toThrow(RangeError);
    await expect(
      runWorkers({ workers: 1e9, start: () => ({ port: 0, close: async () => {} }) }),
    ).rejects.toThrow(/`workers` must be at most \d+ \(4 per core on this machine\), received 1000000000/);
    await expect(
      runWorkers({ workers: '2' as never, start: () => ({ port: 0, close: async () => {} }) }),
    ).rejects.toThrow(TypeError);
    await expect(
      runWorkers({ respawn: 1 as never, start: () => ({ port: 0, close: async () => {} }) }),
    ).rejects.toThrow(/`respawn`/);
  });

  it('a worker whose start throws makes the primary reject, and no worker is left running', async () => {
    const cluster = startCluster({ WORKERS: '2', FAIL_START: '1' });
    const [, message] = await cluster.line(/failed: (.*)/);
    expect(message).toContain('no port for you');
    expect(await cluster.exited).toBe(3);
  }, 60_000);

  it('2 workers serve connections on one port, each streams whole replies, close stops both', async () => {
    const cluster = startCluster({ WORKERS: '2' });
    const [, port, pidList] = await cluster.line(/port (\d+) pids ([\d,]+)/);
    const pids = pidList!.split(',').map(Number);
    expect(pids).toHaveLength(2);
    const clients = await Promise.all(
      Array.from({ length: 8 }, () => TestClient.connect(`ws://127.0.0.1:${port}`)),
    );
    // Each ready frame names the worker that accepted the connection.
    const servedBy = clients.map((c) => Number((c.frames[0] as { message?: string }).message));
    expect(new Set(servedBy)).toEqual(new Set(pids));
    for (const [i, client] of clients.entries()) {
      client.socket.send(JSON.stringify({ message: 'hi' }));
      await client.waitFor((f) => f.type === 'result');
      const complete = client.frames.find((f) => f.type === 'complete') as { text: string };
      expect(complete.text).toBe(`hello from ${servedBy[i]}`);
    }
    for (const c of clients) c.socket.close();
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
    expect(cluster.output()).toContain('closed');
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);

  it('defaults: a client that drops and reconnects resumes its session whichever worker takes it (6 of 6)', async () => {
    const cluster = startCluster({ WORKERS: '2' });
    const [, port] = await cluster.line(/port (\d+) pids ([\d,]+)/);
    const url = `ws://127.0.0.1:${port}`;
    const first = await TestClient.connect(url);
    const ready = first.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    expect(token).not.toBe('');
    await first.turn('hi');
    let seq = (first.frames.at(-1) as SequencedFrame).seq;
    const servedBy = [Number((ready as { message: string }).message)];
    first.socket.terminate();
    await first.closed;
    for (let i = 0; i < 6; i++) {
      const back = await TestClient.resume(url, token, seq);
      expect(back.frames[0]).toMatchObject({ type: 'ready', resumed: true, token });
      servedBy.push(Number((back.frames[0] as { message: string }).message));
      // The session goes on: a turn answered after each resume, numbered on from the last.
      const turn = await back.turn('hi');
      expect(turn.at(-1)).toMatchObject({ type: 'result' });
      expect((turn[0] as SequencedFrame).seq).toBe(seq + 1);
      seq = (turn.at(-1) as SequencedFrame).seq;
      back.socket.terminate();
      await back.closed;
    }
    // The reconnects landed on both workers: resuming did not depend on landing where it began.
    expect(new Set(servedBy).size).toBe(2);
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
  }, 60_000);

  it('a worker that dies is replaced, and the port keeps serving', async () => {
    const cluster = startCluster({ WORKERS: '2' });
    const [, port, pidList] = await cluster.line(/port (\d+) pids ([\d,]+)/);
    const [victim] = pidList!.split(',').map(Number);
    process.kill(victim!, 'SIGKILL');
    const seen = new Set<number>();
    // A connection the primary hands to the dying worker before it notices the death is lost:
    // give each attempt a few seconds, then try again.
    // The replacement needs a few seconds to start; until then the survivor takes everything.
    const deadline = Date.now() + 40_000;
    while (seen.size < 2 && Date.now() < deadline) {
      const pid = await readyPid(Number(port), 3_000);
      if (pid !== undefined) seen.add(pid);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen.size).toBe(2);
    expect(seen.has(victim!)).toBe(false);
    cluster.child.kill('SIGTERM');
    expect(await cluster.exited).toBe(0);
  }, 60_000);

  it('workers shut down when the primary is killed', async () => {
    const cluster = startCluster({ WORKERS: '2' });
    const [, , pidList] = await cluster.line(/port (\d+) pids ([\d,]+)/);
    const pids = pidList!.split(',').map(Number);
    cluster.child.kill('SIGKILL');
    await cluster.exited;
    const deadline = Date.now() + 20_000;
    while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(pids.filter(isAlive)).toEqual([]);
  }, 60_000);
});
