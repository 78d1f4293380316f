import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol/frames.js';
import { ScriptedChunkLLM } from '../helpers/scripted-llm.js';
import { startServer } from '../helpers/server.js';
import { createAgent } from '../helpers/session.js';
import { TestClient } from '../helpers/ws-client.js';
import { type FuzzFrame, fuzzFrame, prng } from './frames.js';
import { report, size } from './size.js';

const MAX_PAYLOAD = 8 * 1024;
const REPLIES: Record<string, string[]> = {
  hello: ['Grüß ', 'dich', ' 👋🏽', '! e\u0301', 'tc.'],
  story: Array.from({ length: 200 }, (_, i) => `w${i} `),
};
const script = (message: string) => REPLIES[message];

const isTerminal = (f: ServerFrame) => f.type === 'result' || f.type === 'error';
const isIdlessError = (f: ServerFrame) =>
  f.type === 'error' && f.id === undefined && f.code !== 'nothing_to_interrupt';

/** What one hostile client saw checked: each count is of frames whose answer was verified. */
interface Verified {
  /** Invalid frames answered by exactly one error, with the expected code, in the order sent. */
  invalid: number;
  /** Messages answered by exactly one `result` or `error` with their id; results in the order sent. */
  messages: number;
  /** Interrupts: at most one `nothing_to_interrupt` each. */
  interrupts: number;
  /** Closing frames (over maxPayload, not UTF-8) that closed the socket with the expected code, after
   * every frame before them had been answered and with no frame after. */
  closes: number;
}

/**
 * Checks every answer to one batch (the frames sent on one socket): each invalid frame got one
 * id-less error with its expected code, in order; each message exactly one terminal frame with its
 * id, results in send order; interrupts at most one `nothing_to_interrupt` each.
 */
function verifyBatch(batch: FuzzFrame[], frames: ServerFrame[]): Omit<Verified, 'closes'> {
  const invalid = batch.flatMap((f) => (f.kind === 'invalid' ? [f.code] : []));
  const errors = frames.filter(isIdlessError).map((f) => (f.type === 'error' ? f.code : ''));
  expect(errors).toEqual(invalid);

  const messages = batch.flatMap((f) => (f.kind === 'message' ? [f.id] : []));
  const terminals = frames.filter((f) => isTerminal(f) && 'id' in f && f.id !== undefined);
  expect(terminals.map((f) => ('id' in f ? f.id : '')).sort()).toEqual([...messages].sort());
  // Busy refusals come at once; the messages that ran were answered one after another, in order.
  const ran = terminals
    .filter((f) => !(f.type === 'error' && f.code === 'busy'))
    .map((f) => ('id' in f ? f.id! : ''));
  expect(ran).toEqual(messages.filter((id) => ran.includes(id)));

  const interrupts = batch.filter((f) => f.kind === 'interrupt').length;
  const nothing = frames.filter((f) => f.type === 'error' && f.code === 'nothing_to_interrupt').length;
  expect(nothing).toBeLessThanOrEqual(interrupts);
  return { invalid: invalid.length, messages: messages.length, interrupts };
}

/**
 * Sends frames on one socket up to one that closes it. Before sending that one it waits until every
 * frame before it has been answered; then the socket must close with the expected code, and nothing
 * more may arrive. Returns the counts it verified, never what it merely sent.
 */
async function hostileClient(url: string, frames: FuzzFrame[]): Promise<Verified> {
  const verified: Verified = { invalid: 0, messages: 0, interrupts: 0, closes: 0 };
  let i = 0;
  while (i < frames.length) {
    const client = await TestClient.connect(url);
    const batch: FuzzFrame[] = [];
    let closing: Extract<FuzzFrame, { kind: 'closing' }> | undefined;
    for (; i < frames.length && closing === undefined; i++) {
      const frame = frames[i]!;
      if (frame.kind === 'closing') closing = frame;
      else {
        batch.push(frame);
        client.socket.send(frame.data, { binary: frame.kind === 'invalid' && frame.binary });
      }
    }
    const invalid = batch.filter((f) => f.kind === 'invalid').length;
    const ids = new Set(batch.flatMap((f) => (f.kind === 'message' ? [f.id] : [])));
    const answered = () =>
      client.frames.filter(isIdlessError).length >= invalid &&
      client.frames.filter((f) => isTerminal(f) && 'id' in f && f.id !== undefined && ids.has(f.id)).length >=
        ids.size;
    await client.waitFor(answered, 0, 60_000);
    // A short settle, so an extra (duplicate) answer would be seen by verifyBatch.
    await new Promise((r) => setTimeout(r, 20));
    const counts = verifyBatch(batch, client.frames);
    if (closing !== undefined) {
      const before = client.frames.length;
      client.socket.send(closing.data, { binary: false });
      expect(await client.closed).toBe(closing.expectedClose);
      expect(client.frames.length).toBe(before);
      verified.closes++;
    } else await client.close();
    verified.invalid += counts.invalid;
    verified.messages += counts.messages;
    verified.interrupts += counts.interrupts;
  }
  return verified;
}

/** Asks known messages and checks every byte of every reply, in order. */
async function wellBehavedClient(url: string, turns: number) {
  const client = await TestClient.connect(url);
  for (let t = 0; t < turns; t++) {
    const message = t % 2 === 0 ? 'hello' : 'story';
    // Generous: at full size 20 hostile clients share the 2 cores with it; this checks content, not speed.
    const frames = await client.turn(message, 300_000);
    const expected = REPLIES[message]!;
    expect(frames.filter((f) => f.type === 'delta').map((f) => (f.type === 'delta' ? f.delta : ''))).toEqual(
      expected,
    );
    expect(frames.at(-2)).toEqual({ type: 'complete', text: expected.join(''), generation: t + 1 });
    expect(frames.at(-1)).toEqual({
      type: 'result',
      events: [{ type: 'message', role: 'assistant', content: expected.join('') }],
    });
  }
  await client.close();
  return turns;
}

describe('protocol fuzz', () => {
  it('every frame from many hostile clients gets its defined answer, in order, while good clients get exact replies', async () => {
    const totalFrames = size(1_000, 10_000);
    const hostile = size(10, 20);
    const server = await startServer({
      createAgent: () => createAgent(),
      createLLM: () => new ScriptedChunkLLM(script),
      maxPayload: MAX_PAYLOAD,
      rateLimit: false,
      maxQueuedMessages: 4,
    });
    const random = prng(20261126);
    const perClient = Array.from({ length: hostile }, (_, c) =>
      Array.from({ length: Math.floor(totalFrames / hostile) }, (_, n) =>
        fuzzFrame(random, c * 100_000 + n, MAX_PAYLOAD),
      ),
    );
    const start = performance.now();
    const [results, good] = await Promise.all([
      Promise.all(perClient.map((frames) => hostileClient(server.url, frames))),
      Promise.all([1, 2, 3].map(() => wellBehavedClient(server.url, size(6, 20)))),
    ]);
    const sum = (f: (r: (typeof results)[number]) => number) => results.reduce((n, r) => n + f(r), 0);
    // Still serving after all that:
    const late = await TestClient.connect(server.url);
    expect((await late.turn('hello')).at(-1)?.type).toBe('result');
    await late.close();
    await new Promise((r) => setTimeout(r, 200));
    const sent = perClient.flat();
    const verified = {
      invalid: sum((r) => r.invalid),
      messages: sum((r) => r.messages),
      interrupts: sum((r) => r.interrupts),
      definedCloses: sum((r) => r.closes),
    };
    // Every frame sent was checked: the figures below are what was verified, and they cover all of it.
    expect(verified).toEqual({
      invalid: sent.filter((f) => f.kind === 'invalid').length,
      messages: sent.filter((f) => f.kind === 'message').length,
      interrupts: sent.filter((f) => f.kind === 'interrupt').length,
      definedCloses: sent.filter((f) => f.kind === 'closing').length,
    });
    report('protocol fuzz', {
      frames: sent.length,
      hostileClients: hostile,
      invalidVerified: verified.invalid,
      messagesVerified: verified.messages,
      interruptsVerified: verified.interrupts,
      definedClosesVerified: verified.definedCloses,
      goodTurnsExact: good.reduce((a, b) => a + b, 0),
      seconds: ((performance.now() - start) / 1000).toFixed(1),
    });
  }, 600_000);
});
