import { describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../src/protocol.js';
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

/** Sends frames on one socket until one that closes it; returns what it expects back. */
async function hostileClient(url: string, frames: FuzzFrame[]) {
  let sent = { invalid: 0, messages: new Set<string>(), interrupts: 0 };
  const answers = { errors: 0, results: 0, nothingToInterrupt: 0, byId: new Map<string, number>() };
  const closes: number[] = [];
  let i = 0;
  while (i < frames.length) {
    const client = await TestClient.connect(url);
    const batch = { invalid: 0, messages: new Set<string>(), interrupts: 0 };
    let expectedClose: number | undefined;
    for (; i < frames.length; i++) {
      const frame = frames[i]!;
      if (frame.kind === 'closing') {
        client.socket.send(frame.data, { binary: false });
        expectedClose = frame.expectedClose;
        i++;
        break;
      }
      client.socket.send(frame.data, { binary: frame.kind === 'invalid' && frame.binary });
      if (frame.kind === 'invalid') batch.invalid++;
      else if (frame.kind === 'message') batch.messages.add(frame.id);
      else batch.interrupts++;
    }
    const count = (f: ServerFrame[]) => f.filter((x) => x.type === 'error' || x.type === 'result').length;
    const nothing = (f: ServerFrame[]) =>
      f.filter((x) => x.type === 'error' && x.code === 'nothing_to_interrupt').length;
    if (expectedClose !== undefined) {
      closes.push(await client.closed);
      expect(closes.at(-1)).toBe(expectedClose);
    } else {
      // Everything sent must be answered: one error per invalid frame, one result/error per message.
      const needed = batch.invalid + batch.messages.size;
      if (needed > 0) {
        await client.waitFor(() => count(client.frames) - nothing(client.frames) >= needed, 0, 60_000);
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(count(client.frames) - nothing(client.frames)).toBe(needed);
      await client.close();
    }
    for (const f of client.frames) {
      if (f.type === 'error' && f.code === 'nothing_to_interrupt') answers.nothingToInterrupt++;
      else if (f.type === 'error') answers.errors++;
      else if (f.type === 'result') answers.results++;
      const id = 'id' in f ? f.id : undefined;
      if (id !== undefined && (f.type === 'result' || f.type === 'error')) {
        answers.byId.set(id, (answers.byId.get(id) ?? 0) + 1);
      }
    }
    if (expectedClose === undefined) {
      for (const id of batch.messages) expect(answers.byId.get(id)).toBe(1);
      expect(answers.nothingToInterrupt).toBeLessThanOrEqual(sent.interrupts + batch.interrupts);
    }
    sent = {
      invalid: sent.invalid + batch.invalid,
      messages: new Set([...sent.messages, ...batch.messages]),
      interrupts: sent.interrupts + batch.interrupts,
    };
  }
  return { sent, answers, closes };
}

/** Asks known messages and checks every byte of every reply, in order. */
async function wellBehavedClient(url: string, turns: number) {
  const client = await TestClient.connect(url);
  for (let t = 0; t < turns; t++) {
    const message = t % 2 === 0 ? 'hello' : 'story';
    const frames = await client.turn(message);
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
  it('survives generated and mutated frames from many clients while good clients get exact replies', async () => {
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
    report('protocol fuzz', {
      frames: totalFrames,
      hostileClients: hostile,
      invalidAnswered: sum((r) => r.sent.invalid),
      messagesAnswered: sum((r) => r.sent.messages.size),
      interrupts: sum((r) => r.sent.interrupts),
      definedCloses: sum((r) => r.closes.length),
      goodTurnsExact: good.reduce((a, b) => a + b, 0),
      seconds: ((performance.now() - start) / 1000).toFixed(1),
    });
  }, 600_000);
});
