import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TestClient } from './helpers/ws-client.js';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it('WORKERS=2 npm run demo: two worker processes serve the page and the socket on one port, and a session resumes on either', async () => {
  const child = spawn('npm', ['run', '--silent', 'demo'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', OPENAI_API_KEY: '', WORKERS: '2' },
    detached: true,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let pids: number[] = [];
  try {
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 50_000;
    while (!/WebSocket: +(ws:\/\/\S+)/.test(output)) {
      if (Date.now() > deadline) throw new Error(`demo did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    pids = /Workers: +2 processes on one port \(pids (\d+), (\d+)\)/.exec(output)!.slice(1).map(Number);
    expect(pids.filter(isAlive)).toHaveLength(2);
    const page = /Chat page: +(http:\/\/\S+)/.exec(output)![1]!;
    const socketUrl = /WebSocket: +(ws:\/\/\S+)/.exec(output)![1]!;
    const origin = new URL(page).origin;
    // Connections take turns between the workers: each of these gets a session and its ready frame.
    for (let i = 0; i < 4; i++) {
      expect(await (await fetch(page)).text()).toContain('<div id="root">');
      const ws = new WebSocket(socketUrl, { origin });
      const first = await new Promise<string>((resolve, reject) => {
        ws.once('message', (d) => resolve(d.toString()));
        ws.once('error', reject);
      });
      expect(JSON.parse(first)).toMatchObject({ type: 'ready' });
      ws.close();
    }
    // A session survives a reconnect whichever worker the reconnect lands on: 6 of 6 resume.
    const opened = await TestClient.connect(socketUrl, { origin });
    const ready = opened.frames[0]!;
    const token = ready.type === 'ready' ? ready.token! : '';
    expect(token).not.toBe('');
    opened.socket.terminate();
    await opened.closed;
    for (let i = 0; i < 6; i++) {
      const back = new TestClient(`${socketUrl}?resume=1`, { origin });
      await back.opened;
      back.send({ type: 'resume', token, seq: 0 });
      await back.waitFor((f) => f.type === 'ready');
      expect(back.frames[0]).toMatchObject({ type: 'ready', resumed: true, token });
      back.socket.terminate();
      await back.closed;
    }
  } finally {
    // npm runs tsx, which runs node: stop the whole group.
    process.kill(-child.pid!, 'SIGTERM');
  }
  await exited;
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(isAlive)).toEqual([]);
}, 90_000);
