/**
 * Run in a child process with --expose-gc: `cycles` rounds of connect → message → disconnect at
 * a random point mid-stream, `concurrency` at a time, against a real server. Prints one JSON line
 * of figures, then closes everything and lets the process exit by itself.
 */
import { initializeLogger, voice } from '@livekit/agents';
import { WebSocket } from 'ws';
import { createStreamingServer } from '../../src/server/index.js';
import { ScriptedChunkLLM } from '../helpers/scripted-llm.js';
import { prng } from './frames.js';

initializeLogger({ pretty: false, level: 'error' });
const live = new Map<unknown, string>();
if (process.env.DEBUG_TIMERS) {
  const original = globalThis.setTimeout;
  (globalThis as { setTimeout: unknown }).setTimeout = (fn: () => void, ms?: number, ...args: unknown[]) => {
    const t = original(fn, ms, ...args);
    live.set(t, `${ms}ms ${new Error().stack?.split('\n').slice(2, 6).join(' | ')}`);
    return t;
  };
}
const cycles = Number(process.argv[2] ?? 1000);
const concurrency = Number(process.argv[3] ?? 10);
const gc = (globalThis as { gc?: () => void }).gc!;
const unexpected: string[] = [];
process.on('unhandledRejection', (e) => unexpected.push(`unhandledRejection: ${String(e)}`));
process.on('uncaughtException', (e) => unexpected.push(`uncaughtException: ${String(e)}`));

const chunks = Array.from({ length: 400 }, (_, i) => `word${i} `);
const server = await createStreamingServer({
  port: 0,
  createAgent: () => new voice.Agent({ instructions: 'churn' }),
  createLLM: () => new ScriptedChunkLLM(() => chunks),
  rateLimit: false,
  // Churn of sessions that close with their socket; resuming has its own tests (test/resume*.ts).
  resumeWindowMs: 0,
  onError: (error, where) => unexpected.push(`${where}: ${String(error)}`),
});
const random = prng(7);

async function cycle(): Promise<'mid-stream' | 'before-ready' | 'after-result'> {
  const ws = new WebSocket(server.url);
  ws.on('error', () => undefined);
  const cutAfter = random.int(chunks.length + 40) - 20; // <0: before ready; > chunks: after the result
  return new Promise((resolve) => {
    let deltas = 0;
    const cut = (how: 'mid-stream' | 'before-ready' | 'after-result') => {
      random.int(2) === 0 ? ws.terminate() : ws.close();
      resolve(how);
    };
    ws.on('open', () => {
      if (cutAfter < 0) cut('before-ready');
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string };
      if (frame.type === 'ready') ws.send(JSON.stringify({ message: 'go' }));
      else if (frame.type === 'delta' && ++deltas === cutAfter) cut('mid-stream');
      else if (frame.type === 'result') cut('after-result');
    });
  });
}

async function run(count: number) {
  const kinds: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const kind = await cycle();
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
    }),
  );
  return kinds;
}

const settle = async () => {
  const deadline = Date.now() + 30_000;
  while (server.activeSessions > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const warmup = Math.min(100, Math.floor(cycles / 10));
const k1 = await run(warmup);
const heapAfterFirst = await settle();
const k2 = await run(cycles - warmup);
const heapAfterLast = await settle();
const sessionsAfter = server.activeSessions;
await server.close();
// The framework's own short delays (2 s, inside session.close) run out; ours must already be gone.
await new Promise((r) => setTimeout(r, 2500));
const resources = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap');
const kinds = Object.fromEntries(Object.keys({ ...k1, ...k2 }).map((k) => [k, (k1[k] ?? 0) + (k2[k] ?? 0)]));
console.log(
  JSON.stringify({
    cycles,
    kinds,
    sessionsAfter,
    heapGrowthMB: (heapAfterLast - heapAfterFirst) / 2 ** 20,
    resourcesAfterClose: resources,
    unexpected,
  }),
);
if (process.env.DEBUG_TIMERS) {
  const groups = new Map<string, number>();
  for (const [timer, stack] of live) {
    if (!(timer as { _destroyed?: boolean })._destroyed) groups.set(stack, (groups.get(stack) ?? 0) + 1);
  }
  console.error([...groups].map(([k, v]) => `${v} × ${k}`).join('\n---\n'));
}
