import type { AddressInfo } from 'node:net';
import { setImmediate as immediate } from 'node:timers/promises';
import { voice } from '@livekit/agents';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamingTextOutput } from '../../src/index.js';
import { createStreamingServer } from '../../src/server/index.js';
import { SessionChannel } from '../../src/session/channel.js';
import { EventFramer } from '../../src/session/event-frames.js';
import { MemoryFrameLog } from '../../src/session/frame-log.js';
import { FrameSender, type FrameSink } from '../../src/session/frame-sender.js';
import { startPump } from '../../src/session/pump.js';
import { ScriptedChunkLLM } from '../../test/helpers/scripted-llm.js';
import { chunk } from '../chunks.js';
import type { Row } from '../report.js';
import { interleave, median, percentile } from '../stats.js';

interface Sample {
  framesPerSecond: number;
  p50: number;
  p99: number;
}

/**
 * Scenario 5's one client, through the send path as it is with resuming off (`plain`: the pump
 * writes to the socket's FrameSender) and on (`sequenced`: the session's channel numbers each
 * frame, logs it in a MemoryFrameLog, and hands it to the FrameSender).
 */
async function oneClient(kind: 'plain' | 'sequenced', deltas: number, perSecond: number | undefined) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const sent = new Float64Array(deltas);
  const latency: number[] = [];
  let lastReceipt = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  client.on('message', (data) => {
    const now = performance.now();
    const frame = JSON.parse(data.toString()) as { type: string };
    if (frame.type === 'delta') latency.push(now - sent[Math.min(deltas - 1, latency.length)]!);
    else {
      lastReceipt = now;
      done();
    }
  });
  const socket = await new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  await new Promise((resolve) => client.once('open', resolve));
  const sender = new FrameSender(socket, 64 * 1024);
  let sink: FrameSink = sender;
  if (kind === 'sequenced') {
    const channel = new SessionChannel(new MemoryFrameLog(), 'bench');
    channel.attach(sender);
    sink = channel;
  }
  const out = new StreamingTextOutput({ backlogSize: 0 });
  let produced = false;
  const pump = startPump({
    reader: out.subscribe(),
    sender: sink,
    framer: new EventFramer(false),
    id: 'm1',
    isFinished: () => produced,
  });
  const start = performance.now();
  for (let i = 0; i < deltas; i++) {
    if (perSecond !== undefined) {
      const due = start + (i * 1000) / perSecond;
      while (performance.now() < due) await immediate();
    } else if (i % 256 === 0) await immediate();
    sent[i] = performance.now();
    await out.captureText(chunk(i));
  }
  out.flush();
  produced = true;
  pump.nudge();
  await pump.done;
  await finished;
  client.close();
  await new Promise((resolve) => wss.close(resolve));
  return {
    framesPerSecond: deltas / ((lastReceipt - start) / 1000),
    p50: percentile(latency, 50) * 1000,
    p99: percentile(latency, 99) * 1000,
  } satisfies Sample;
}

/** 9a. What `seq` and the frame log add to the one-client WebSocket send path. */
export async function resumeSendCost(deltas: number, perSecond: number, rounds: number): Promise<Row[]> {
  const paced = await interleave(rounds, {
    plain: () => oneClient('plain', deltas, perSecond),
    sequenced: () => oneClient('sequenced', deltas, perSecond),
  });
  const flat = await interleave(rounds, {
    plain: () => oneClient('plain', deltas, undefined),
    sequenced: () => oneClient('sequenced', deltas, undefined),
  });
  const m = (s: Sample[], k: keyof Sample) => median(s.map((x) => x[k]));
  const scenario = `9. Resume: seq + frame log, one WebSocket client, ${deltas.toLocaleString('en-US')} deltas`;
  const plainP99 = m(paced.plain, 'p99');
  const plainRate = m(flat.plain, 'framesPerSecond');
  return [
    {
      scenario,
      contestant: `resume off @ ${perSecond}/s`,
      metric: 'latency p99',
      unit: 'µs',
      value: plainP99,
    },
    {
      scenario,
      contestant: `seq + log @ ${perSecond}/s`,
      metric: 'latency p99',
      unit: 'µs',
      value: m(paced.sequenced, 'p99'),
      ratio: m(paced.sequenced, 'p99') / plainP99,
      baseline: 'resume off',
    },
    { scenario, contestant: 'resume off, unpaced', metric: 'throughput', unit: 'frames/s', value: plainRate },
    {
      scenario,
      contestant: 'seq + log, unpaced',
      metric: 'throughput',
      unit: 'frames/s',
      value: m(flat.sequenced, 'framesPerSecond'),
      ratio: m(flat.sequenced, 'framesPerSecond') / plainRate,
      baseline: 'resume off',
    },
  ];
}

const gcHeap = async () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return process.memoryUsage().heapUsed;
};

/**
 * Heap held by `sessions` idle sessions waiting to be resumed, each after one turn of `words`
 * chunks: in all (the AgentSession and the rest), and by the frame log alone (what the heap drops
 * by when the log forgets them), beside the log's own estimate of what it holds.
 */
async function idleSessions(sessions: number, words: number) {
  const chunks = Array.from({ length: words }, (_, i) => `word${i} `);
  const log = new MemoryFrameLog();
  const server = await createStreamingServer({
    port: 0,
    rateLimit: false,
    resumeWindowMs: 600_000,
    frameLog: log,
    createAgent: () => new voice.Agent({ instructions: 'bench' }),
    createLLM: () => new ScriptedChunkLLM(() => chunks, 16),
    onError: () => undefined,
  });
  const before = await gcHeap();
  for (let i = 0; i < sessions; i++) {
    const ws = new WebSocket(server.url);
    await new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string };
        if (frame.type === 'ready') ws.send(JSON.stringify({ message: 'go', id: `m${i}` }));
        if (frame.type === 'result') resolve();
      });
    });
    ws.terminate();
  }
  while (server.detachedSessions < sessions) await new Promise((resolve) => setTimeout(resolve, 10));
  const idle = await gcHeap();
  const ids = [...(log as unknown as { sessions: Map<string, unknown> }).sessions.keys()];
  let estimate = 0;
  for (const id of ids) estimate += log.bytesOf(id);
  for (const id of ids) log.delete(id);
  const withoutLog = await gcHeap();
  await server.close();
  return {
    perSession: (idle - before) / sessions,
    logPerSession: (idle - withoutLog) / sessions,
    estimatePerSession: estimate / sessions,
  };
}

/** 9b. Memory per idle session waiting for its client, and the frame log's share of it. */
export async function resumeIdleMemory(sessions: number, words: number, rounds: number): Promise<Row[]> {
  const samples: Array<Awaited<ReturnType<typeof idleSessions>>> = [];
  for (let i = 0; i < rounds; i++) samples.push(await idleSessions(sessions, words));
  const m = (k: keyof (typeof samples)[number]) => median(samples.map((s) => s[k]));
  const scenario = `9. Resume: ${sessions} idle sessions waiting, each after one ${words}-chunk reply`;
  return [
    {
      scenario,
      contestant: 'idle session, all of it',
      metric: 'heap per session',
      unit: 'KiB',
      value: m('perSession') / 1024,
    },
    {
      scenario,
      contestant: 'of which the frame log',
      metric: 'heap per session',
      unit: 'KiB',
      value: m('logPerSession') / 1024,
      ratio: m('logPerSession') / m('estimatePerSession'),
      baseline: "the log's own estimate",
      note: `the log's estimate (frame JSON): ${(m('estimatePerSession') / 1024).toFixed(1)} KiB per session`,
    },
  ];
}
