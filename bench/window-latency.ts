/**
 * What the delivery window costs one client, with nothing else running: a delta every 20 ms (50
 * chunks/s, model pace) through one FrameSender on a loopback WebSocket, for each `coalesceMs`:
 * frames sent, and the latency from `send` to the client's `message` per chunk.
 *   node --import tsx bench/window-latency.ts [windows=0,16,33,50] [chunks=150] [gapMs=20]
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { FrameSender } from '../src/session/frame-sender.js';
import { percentile } from './stats.js';

const [windows = '0,16,33,50', chunks = '150', gapMs = '20'] = process.argv.slice(2);

async function measure(coalesceMs: number) {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  let transport: Socket | undefined;
  http.prependListener('upgrade', (_request, socket) => {
    transport = socket as Socket;
  });
  const connected = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
  const latency: number[] = [];
  let frames = 0;
  client.on('message', (data) => {
    frames++;
    const now = performance.now();
    for (const stamp of String(data).matchAll(/@(\d+\.\d+);/g)) latency.push(now - Number(stamp[1]));
  });
  await new Promise((resolve) => client.once('open', resolve));
  const sender = new FrameSender(await connected, 64 * 1024, { transport, coalesceMs });
  for (let i = 0; i < Number(chunks); i++) {
    await new Promise((resolve) => setTimeout(resolve, Number(gapMs)));
    sender.send({ type: 'delta', delta: `@${performance.now().toFixed(2)};`, generation: 1 });
  }
  sender.send({ type: 'complete', text: '', generation: 1 });
  while (latency.length < Number(chunks)) await new Promise((resolve) => setTimeout(resolve, 10));
  client.close();
  wss.close();
  await new Promise((resolve) => http.close(resolve));
  return { frames: frames - 1, latency };
}

for (const w of windows.split(',').map(Number)) {
  const { frames, latency } = await measure(w);
  console.log(
    `coalesceMs ${w}: ${latency.length} chunks in ${frames} delta frames (${(frames / latency.length).toFixed(2)} per chunk); send → receive p50 ${percentile(latency, 50).toFixed(1)} ms, p99 ${percentile(latency, 99).toFixed(1)} ms, max ${Math.max(...latency).toFixed(1)} ms`,
  );
}
