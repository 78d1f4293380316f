/**
 * Issue 9, the demo's edges, run the way the README says (`npm run demo`): a busy port is one line
 * naming PORT; a browser that leaves prints nothing; an upgrade on a path the demo does not serve is
 * answered (404), not left hanging.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { rawRequest, rawUpgrade } from './helpers/raw-http.js';

const root = new URL('..', import.meta.url).pathname;

function runDemo(port: string): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn('npm', ['run', '--silent', 'demo'], {
    cwd: root,
    env: { ...process.env, PORT: port, OPENAI_API_KEY: '' },
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('npm run demo, at its edges', () => {
  it('on a busy port: one line that names PORT, exit code 1, no stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const demo = runDemo(port);
      expect(await demo.exited).toBe(1);
      const lines = demo
        .output()
        .split('\n')
        .filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('PORT');
      expect(lines[0]).toContain(port);
      expect(demo.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('browsers that come and go print nothing; an upgrade at / is answered with 404, a target that is not a path with 400', async () => {
    const demo = runDemo('0');
    try {
      const deadline = Date.now() + 30_000;
      while (!/WebSocket: +(ws:\/\/\S+)/.test(demo.output())) {
        if (Date.now() > deadline) throw new Error(`demo did not start: ${demo.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const socketUrl = /WebSocket: +(ws:\/\/\S+)/.exec(demo.output())![1]!;
      const page = /Chat page: +(http:\/\/\S+)/.exec(demo.output())![1]!;
      const started = demo.output();
      for (let i = 0; i < 3; i++) {
        const ws = new WebSocket(socketUrl, { origin: new URL(page).origin });
        await new Promise((resolve, reject) => {
          ws.once('message', resolve);
          ws.once('error', reject);
        });
        ws.send(JSON.stringify({ message: 'hello' }));
        await new Promise<void>((resolve) =>
          ws.on('message', (d) => {
            if (JSON.parse(String(d)).type === 'delta') resolve();
          }),
        );
        ws.close();
        await new Promise((resolve) => ws.once('close', resolve));
      }
      const port = Number(new URL(socketUrl).port);
      expect(await rawUpgrade(port, '/', 10_000)).toEqual({ status: 404 });
      // Odd targets get a 4xx and the demo keeps serving: `new URL('//', base)` used to throw out of
      // its listeners and end the process; an absolute-form target is not a path (400).
      const pagePort = Number(new URL(page).port);
      expect(await rawUpgrade(port, '//x/api/chat', 10_000)).toEqual({ status: 404 });
      expect(await rawUpgrade(port, 'http://x/ws', 10_000)).toEqual({ status: 400 });
      expect(await rawRequest(pagePort, '//')).toEqual({ status: 404 });
      expect(await rawRequest(pagePort, '//x/api/chat')).toEqual({ status: 404 });
      expect(await rawRequest(pagePort, 'http://[')).toEqual({ status: 400 });
      expect(await rawRequest(pagePort, '/')).toEqual({ status: 200 });
      // A session that closes (after a leave) has finished within a second or so; wait for the
      // framework's close-time turn commit (500 ms) to have run before reading the terminal.
      await new Promise((r) => setTimeout(r, 2_000));
      expect(demo.output().slice(started.length)).toBe('');
    } finally {
      process.kill(-demo.child.pid!, 'SIGTERM');
    }
  }, 60_000);
});
