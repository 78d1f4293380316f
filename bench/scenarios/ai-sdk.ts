import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as immediate } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { ChatTurns } from '../../src/ai-sdk/chat-turns.js';
import { streamSse } from '../../src/ai-sdk/http.js';
import type { TurnFrame } from '../../src/ai-sdk/ui-chunks.js';
import { streamToSocket } from '../../src/ai-sdk/websocket.js';
import { StreamingTextOutput } from '../../src/index.js';
import { EventFramer } from '../../src/session/event-frames.js';
import { MemoryFrameLog } from '../../src/session/frame-log.js';
import { FrameSender } from '../../src/session/frame-sender.js';
import { startPump } from '../../src/session/pump.js';
import { chunk } from '../chunks.js';
import type { Row } from '../report.js';
import { interleave, median, percentile } from '../stats.js';

type Path = 'ours' | 'ai-sdk-ws' | 'ai-sdk-sse';

/**
 * Per-delta latency, `captureText` → the client's receipt, on three paths from the same output:
 * - `ours`: reader → pump → FrameSender → our protocol's `delta` frame (the server's send path);
 * - `ai-sdk-ws`: reader → pump → frame log → UIChunkMapper → `WebSocketChatTransport`'s `chunk` frame;
 * - `ai-sdk-sse`: the same chunks as Server-Sent Events on an HTTP response (`DefaultChatTransport`).
 * The AI SDK paths use the adapter's own modules (the chat's turn feeds its mapper and log the same way).
 */
async function oneRun(path: Path, deltas: number, perSecond: number): Promise<number> {
  const sent = new Float64Array(deltas);
  const latency: number[] = [];
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const onDelta = () => {
    latency.push(performance.now() - sent[Math.min(received, deltas - 1)]!);
    received++;
    if (received === deltas) done();
  };

  const out = new StreamingTextOutput({ backlogSize: 0 });
  const reader = out.subscribe();
  let produced = false;
  const turns = new ChatTurns(
    new MemoryFrameLog({ maxBytes: 64 * 1024 * 1024 }),
    undefined,
    60_000,
    () => {},
  );
  const writer = turns.begin('bench', 'bench', undefined);
  let closeAll: () => Promise<void>;
  let sender: { isOpen: boolean; isBehind: boolean; send(frame: TurnFrame): void; drained(): Promise<void> };

  if (path === 'ai-sdk-sse') {
    const http = createServer((_req, res) => streamSse(res, turns, writer.turn));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      httpRequest({ host: '127.0.0.1', port, method: 'POST' }, (res) => {
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          buffered += text;
          let end = buffered.indexOf('\n\n');
          while (end !== -1) {
            if (buffered.startsWith('data: {"type":"text-delta"')) onDelta();
            buffered = buffered.slice(end + 2);
            end = buffered.indexOf('\n\n');
          }
        });
        resolve();
      }).end();
    });
    closeAll = async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    };
  } else {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => wss.once('listening', resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    client.on('message', (data) => {
      const text = data.toString();
      if (
        path === 'ours' ? text.startsWith('{"type":"delta"') : text.includes('"chunk":{"type":"text-delta"')
      ) {
        onDelta();
      }
    });
    const server = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
    await new Promise((resolve) => client.once('open', resolve));
    if (path === 'ai-sdk-ws') streamToSocket(new FrameSender(server, 64 * 1024), turns, 'bench', writer.turn);
    else sender = new FrameSender(server, 64 * 1024) as unknown as typeof sender;
    closeAll = async () => {
      client.close();
      await new Promise((resolve) => wss.close(resolve));
    };
  }
  if (path !== 'ours') {
    // The chat's sink: each frame of the turn goes to its log; listeners map it to chunks.
    sender = {
      isOpen: true,
      isBehind: false,
      send: (frame) => writer.write(frame),
      drained: () => Promise.resolve(),
    };
  }
  const pump = startPump({
    reader,
    sender: sender! as unknown as FrameSender,
    framer: new EventFramer(false),
    id: undefined,
    isFinished: () => produced,
  });
  const start = performance.now();
  for (let i = 0; i < deltas; i++) {
    const due = start + (i * 1000) / perSecond;
    while (performance.now() < due) await immediate();
    sent[i] = performance.now();
    await out.captureText(chunk(i));
  }
  await finished;
  out.flush();
  produced = true;
  pump.nudge();
  await pump.done;
  writer.close();
  await closeAll!();
  return percentile(latency, 99) * 1000;
}

/** The AI SDK adapter's two paths against our own protocol's, per-delta p99, same run. */
export async function aiSdkPaths(deltas: number, perSecond: number, rounds: number): Promise<Row[]> {
  const samples = await interleave(rounds, {
    ours: () => oneRun('ours', deltas, perSecond),
    ws: () => oneRun('ai-sdk-ws', deltas, perSecond),
    sse: () => oneRun('ai-sdk-sse', deltas, perSecond),
  });
  const ours = median(samples.ours);
  const scenario = `12. AI SDK adapter, one client, ${deltas.toLocaleString('en-US')} deltas @ ${perSecond}/s`;
  const row = (contestant: string, value: number): Row => ({
    scenario,
    contestant,
    metric: 'latency p99',
    unit: 'µs',
    value,
    ratio: value / ours,
    baseline: 'our protocol',
    bar: 'p99 ≤ 1.2× our protocol',
    pass: value <= 1.2 * ours,
  });
  return [
    { scenario, contestant: 'our protocol (WebSocket)', metric: 'latency p99', unit: 'µs', value: ours },
    row('WebSocketChatTransport frames', median(samples.ws)),
    row('SSE (DefaultChatTransport)', median(samples.sse)),
  ];
}
