import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisProcess {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** SIGSTOP: Redis keeps its connections open and answers nothing (a hung host, a partition). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** SIGKILL: Redis dies at once, keeping only what it had persisted (see `appendonly`). */
  kill(): Promise<void>;
  /** Starts Redis again after `kill()`, on the same port and folder (it reloads its AOF). */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Persist every write to an append-only file, as a production Redis would. Default false. */
  appendonly?: boolean;
}

/** A port the kernel says is free now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts Debian's `redis-server` on a free loopback port, in a temp folder, with no persistence;
 * `stop()` kills it and removes the folder. A real Redis, not a mock.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const args = (port: number, dir: string) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly ? 'yes' : 'no',
  ];
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'lst-redis-'));
    let child = spawn(REDIS_SERVER, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
    const started = await readyOrExit(child);
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      }
    };
    const stop = async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    };
    if (started) {
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop,
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        kill,
        restart: async () => {
          await kill();
          child = spawn(REDIS_SERVER, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
          if (!(await readyOrExit(child))) throw new Error(`redis-server did not restart on ${port}`);
        },
      };
    }
    await stop();
    // Another process took the port between our check and redis binding it: try another.
    if (attempt >= 3) throw new Error(`redis-server did not start (${REDIS_SERVER})`);
  }
}

function readyOrExit(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(true);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
}
