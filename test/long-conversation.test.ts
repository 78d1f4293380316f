import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { voice } from '@livekit/agents';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ScriptedChunkLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';

const TURNS = Number(process.env.LONG_TURNS ?? 1000);
/** Heap samples every this many turns, from `FIRST_SAMPLE` on: the growth is their slope. */
const EVERY = TURNS / 10;
const FIRST_SAMPLE = 3 * EVERY;
const reply = Array.from({ length: 20 }, (_, i) => `word${i} `);

// A full GC on demand, without a flag on the test runner.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const mx = points.reduce((n, [x]) => n + x, 0) / points.length;
  const my = points.reduce((n, [, y]) => n + y, 0) / points.length;
  const num = points.reduce((n, [x, y]) => n + (x - mx) * (y - my), 0);
  const den = points.reduce((n, [x]) => n + (x - mx) ** 2, 0);
  return num / den;
}

/** Heap in use after the framework's short timers have run and a full GC. */
async function settledHeap(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

it(`one session, ${TURNS} turns: heap growth per turn is bounded, and split into chat history and the rest`, async () => {
  let agent: voice.Agent | undefined;
  const server = await startServer({
    createAgent: () => {
      agent = new voice.Agent({ instructions: 'long conversation' });
      return agent;
    },
    createLLM: () => new ScriptedChunkLLM(() => reply),
    rateLimit: false,
    sendAccumulated: false,
  });
  // A client that keeps nothing: the heap measured is the server's.
  const socket = new WebSocket(server.url);
  let results = 0;
  let errors = 0;
  let wake: (() => void) | undefined;
  socket.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"type":"delta"')) return;
    const type = (JSON.parse(text) as { type: string }).type;
    if (type === 'result' || type === 'error' || type === 'ready') {
      if (type === 'result') results++;
      if (type === 'error') errors++;
      wake?.();
    }
  });
  const next = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });
  await next(); // ready
  const samples: Array<[number, number]> = [];
  const listeners = () => {
    const session = agent!.session;
    return session.eventNames().reduce((n, name) => n + session.listenerCount(name as never), 0);
  };
  let listenersEarly = 0;
  for (let turn = 1; turn <= TURNS; turn++) {
    const answered = next();
    socket.send(JSON.stringify({ message: `question ${turn}` }));
    await answered;
    // The first turns warm caches and compiled code up; sample the rest.
    if (turn >= FIRST_SAMPLE && turn % EVERY === 0) samples.push([turn, await settledHeap()]);
    if (turn === FIRST_SAMPLE) listenersEarly = listeners();
  }
  const end = samples.at(-1)![1];
  expect(results).toBe(TURNS);
  expect(errors).toBe(0);

  // What the model needs: two items a turn, kept twice by the framework (the session's history
  // and the agent's context). Drop both, and what is left is everything else the session keeps.
  const session = agent!.session;
  expect(session.history.items.length).toBeGreaterThanOrEqual(2 * TURNS);
  session.history.items = [];
  (agent as unknown as { _chatCtx: { items: unknown[] } })._chatCtx.items = [];
  const withoutHistory = await settledHeap();
  const historyPerTurn = (end - withoutHistory) / TURNS;
  const perTurn = slope(samples);
  const otherPerTurn = perTurn - historyPerTurn;
  console.log(
    `long conversation, ${TURNS} turns: heap +${perTurn.toFixed(0)} B/turn (slope over turns ${FIRST_SAMPLE}–${TURNS}); chat history ${historyPerTurn.toFixed(0)} B/turn (${(end - withoutHistory) / 1024 < 1024 ? `${((end - withoutHistory) / 1024).toFixed(0)} KiB` : `${((end - withoutHistory) / 2 ** 20).toFixed(1)} MiB`} at turn ${TURNS}); everything else ${otherPerTurn.toFixed(0)} B/turn`,
  );
  // Ours: each turn removes what it adds to the session (its error listener, its pump).
  expect(listeners()).toBe(listenersEarly);
  // The history is there and grows: it holds every message, twice.
  expect(historyPerTurn).toBeGreaterThan(0);
  // Everything else grows by a bounded amount per turn: the framework keeps one abort listener per
  // wait with the turn's generation attached (docs/framework-capacity.md, a few KiB a turn here).
  // Keeping a turn's frames or events would add their size, 20 deltas of JSON, every turn.
  expect(otherPerTurn).toBeLessThan(16 * 1024);
  socket.close();
}, 300_000);
