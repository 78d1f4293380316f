import type { AddressInfo } from 'node:net';
import { setImmediate as immediate } from 'node:timers/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamingTextOutput } from '../../src/index.js';
import { EventFramer } from '../../src/session/event-frames.js';
import { FrameSender } from '../../src/session/frame-sender.js';
import { startPump } from '../../src/session/pump.js';
import { chunk } from '../chunks.js';
import type { Row } from '../report.js';
import { interleave, judgeRatio, median, percentile, perRoundRatios } from '../stats.js';

type Mode = { paced: false } | { paced: true; perSecond: number };
interface Sample {
  framesPerSecond: number;
  p50: number;
  p99: number;
  frames: number;
}

/**
 * One client on loopback. `ours` is the server's send path (StreamingTextOutput → reader → pump →
 * FrameSender); `raw` is a `ws.send` loop of byte-identical frames (`sendAccumulated: false`).
 */
export async function oneClient(kind: 'ours' | 'raw', deltas: number, mode: Mode): Promise<Sample> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const sent = new Float64Array(deltas);
  const latency: number[] = [];
  let frames = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  let lastReceipt = 0;
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  client.on('message', (data) => {
    const now = performance.now();
    const frame = JSON.parse(data.toString()) as { type: string; delta?: string; n?: number };
    if (frame.type === 'delta') {
      // Frames are in order; a merged frame is timed from its first delta.
      latency.push(now - sent[frames === 0 ? 0 : Math.min(deltas - 1, latency.length)]!);
      frames++;
    } else {
      lastReceipt = now;
      done();
    }
  });
  const server = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  await new Promise((resolve) => client.once('open', resolve));

  const pace = async (i: number, start: number) => {
    if (!mode.paced) return;
    const due = start + (i * 1000) / mode.perSecond;
    while (performance.now() < due) await immediate();
  };
  const start = performance.now();
  if (kind === 'raw') {
    for (let i = 0; i < deltas; i++) {
      await pace(i, start);
      sent[i] = performance.now();
      server.send(JSON.stringify({ type: 'delta', delta: chunk(i), generation: 1 }));
      if (!mode.paced && i % 256 === 0) await immediate();
    }
    server.send(JSON.stringify({ type: 'complete', text: '', generation: 1 }));
  } else {
    // As the server configures it: subscribe() only, so no stream() backlog.
    const out = new StreamingTextOutput({ backlogSize: 0 });
    const reader = out.subscribe();
    let produced = false;
    const pump = startPump({
      reader,
      sender: new FrameSender(server, 64 * 1024),
      framer: new EventFramer(false),
      id: undefined,
      isFinished: () => produced,
    });
    for (let i = 0; i < deltas; i++) {
      await pace(i, start);
      sent[i] = performance.now();
      await out.captureText(chunk(i));
      if (!mode.paced && i % 256 === 0) await immediate();
    }
    out.flush();
    produced = true;
    pump.nudge();
    await pump.done;
  }
  await finished;
  if (process.env.EXP_DIST)
    console.log(
      kind,
      [50, 90, 95, 98, 99, 99.5, 99.9]
        .map((p) => `p${p}=${(percentile(latency, p) * 1000).toFixed(0)}`)
        .join(' '),
    );
  const seconds = (lastReceipt - start) / 1000;
  client.close();
  await new Promise((resolve) => wss.close(resolve));
  return {
    framesPerSecond: deltas / seconds,
    p50: percentile(latency, 50) * 1000,
    p99: percentile(latency, 99) * 1000,
    frames,
  };
}

/** 5. Per-delta latency from captureText to the client's message event, and throughput, vs raw ws. */
export async function websocketOneClient(deltas: number, perSecond: number, rounds: number): Promise<Row[]> {
  const paced = await interleave(rounds, {
    ours: () => oneClient('ours', deltas, { paced: true, perSecond }),
    raw: () => oneClient('raw', deltas, { paced: true, perSecond }),
  });
  const flat = await interleave(rounds, {
    ours: () => oneClient('ours', deltas, { paced: false }),
    raw: () => oneClient('raw', deltas, { paced: false }),
  });
  const m = (s: Sample[], k: keyof Sample) => median(s.map((x) => x[k]));
  const scenario = `5. WebSocket, one client, ${deltas.toLocaleString('en-US')} deltas`;
  const rawP99 = m(paced.raw, 'p99');
  const rawRate = m(flat.raw, 'framesPerSecond');
  const p99s = (s: Sample[]) => s.map((x) => x.p99);
  const rates = (s: Sample[]) => s.map((x) => x.framesPerSecond);
  const latencyBar = judgeRatio(perRoundRatios(p99s(paced.ours), p99s(paced.raw)), { atMost: 1.5 });
  const rateSpread = judgeRatio(perRoundRatios(rates(flat.ours), rates(flat.raw)), { atLeast: 0 }).spread;
  return [
    {
      scenario,
      contestant: `raw ws.send @ ${perSecond}/s`,
      metric: 'latency p50',
      unit: 'µs',
      value: m(paced.raw, 'p50'),
    },
    {
      scenario,
      contestant: `raw ws.send @ ${perSecond}/s`,
      metric: 'latency p99',
      unit: 'µs',
      value: rawP99,
    },
    {
      scenario,
      contestant: `ours @ ${perSecond}/s`,
      metric: 'latency p50',
      unit: 'µs',
      value: m(paced.ours, 'p50'),
    },
    {
      scenario,
      contestant: `ours @ ${perSecond}/s`,
      metric: 'latency p99',
      unit: 'µs',
      value: m(paced.ours, 'p99'),
      ratio: m(paced.ours, 'p99') / rawP99,
      baseline: 'raw ws',
      spread: latencyBar.spread,
      bar: 'p99 ≤ 1.5× raw',
      verdict: latencyBar.verdict,
      ...(latencyBar.settle ? { note: latencyBar.settle } : {}),
    },
    {
      scenario,
      contestant: 'raw ws.send, full speed',
      metric: 'deltas delivered',
      unit: 'deltas/s',
      value: rawRate,
    },
    {
      scenario,
      contestant: 'ours, full speed',
      metric: 'deltas delivered',
      unit: 'deltas/s',
      value: m(flat.ours, 'framesPerSecond'),
      ratio: m(flat.ours, 'framesPerSecond') / rawRate,
      baseline: 'raw ws',
      spread: rateSpread,
      note: `at full speed our path merged deltas into ${Math.round(m(flat.ours, 'frames')).toLocaleString('en-US')} frames while the socket was behind; raw sent ${deltas.toLocaleString('en-US')} frames, ignoring backpressure`,
    },
  ];
}
