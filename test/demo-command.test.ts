import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';

it('npm run demo starts offline, says which LLM and where, serves the page and the socket', async () => {
  const child = spawn('npm', ['run', '--silent', 'demo'], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, PORT: '0', OPENAI_API_KEY: '' },
    detached: true,
  });
  try {
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    const deadline = Date.now() + 30_000;
    while (!/WebSocket: +(ws:\/\/\S+)/.test(output)) {
      if (Date.now() > deadline) throw new Error(`demo did not start: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toContain('LLM: offline DemoLLM');
    const page = /Chat page: +(http:\/\/\S+)/.exec(output)![1]!;
    const socketUrl = /WebSocket: +(ws:\/\/\S+)/.exec(output)![1]!;
    expect(await (await fetch(page)).text()).toContain('<div id="root">');
    const origin = new URL(page).origin;
    const ws = new WebSocket(socketUrl, { origin });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d) => resolve(d.toString()));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'ready' });
    ws.close();
  } finally {
    // npm runs tsx, which runs node: stop the whole group.
    process.kill(-child.pid!, 'SIGTERM');
  }
}, 60_000);
