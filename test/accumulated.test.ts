/**
 * Issue 9 item 3: `accumulated` on every frame made the bytes on the wire grow with the square of
 * the reply. Now our client says it does not need the field (`?accumulated=0`), and for clients
 * that read it (the seed's) deltas are merged once a generation's `accumulated` budget is spent.
 * Figures (bytes, a neighbour's latency) are in `npm run bench`; these tests check the behaviour.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { StreamingAgentClient } from '../src/client/index.js';
import type { DeltaFrame } from '../src/protocol/frames.js';
import { EventFramer } from '../src/session/event-frames.js';
import { ScriptedChunkLLM, TestLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

const chunks = Array.from({ length: 20_000 }, (_, i) => `c${String(i).padStart(6, '0')} `);
const reply = chunks.join('');
/** Only the budget, never the clock: makes the bound exact. */
const noInterval = { intervalMs: 2 ** 31 - 1 };

function checkDeltas(frames: DeltaFrame[]) {
  let prefix = '';
  for (const f of frames) {
    prefix += f.delta;
    // A seed-style client reads `accumulated` on every delta: it is there, and right.
    expect(f.accumulated).toBe(prefix);
  }
  return prefix;
}

describe('accumulated on the wire', () => {
  it('a seed-style client gets accumulated on every delta, within perChar × text + extra (+ one last frame)', async () => {
    const server = await startServer({
      createLLM: () => new ScriptedChunkLLM(() => chunks),
      accumulatedBudget: { perChar: 4, extra: 64 * 1024, ...noInterval },
    });
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('long', 120_000);
    const deltas = frames.filter((f): f is DeltaFrame => f.type === 'delta');
    expect(checkDeltas(deltas)).toBe(reply);
    expect(frames.find((f) => f.type === 'complete')).toMatchObject({ text: reply });
    const sent = deltas.reduce((sum, f) => sum + (f.accumulated?.length ?? 0), 0);
    // One frame per chunk would send ~20,000 × reply / 2 = 1.6 G characters.
    expect(sent).toBeLessThanOrEqual(4 * reply.length + 64 * 1024 + reply.length);
    expect(deltas.length).toBeLessThan(chunks.length);
  }, 150_000);

  it('a client that connects with ?accumulated=0 gets deltas without it, one per chunk', async () => {
    const server = await startServer({ createLLM: () => new ScriptedChunkLLM(() => chunks.slice(0, 2_000)) });
    const client = await TestClient.connect(`${server.url}/?accumulated=0`);
    const frames = await client.turn('long', 60_000);
    const deltas = frames.filter((f): f is DeltaFrame => f.type === 'delta');
    expect(deltas.every((f) => f.accumulated === undefined)).toBe(true);
    expect(textOfTurn(frames)).toBe(chunks.slice(0, 2_000).join(''));
  });

  it('StreamingAgentClient asks for that, and still hands onDelta the accumulated text', async () => {
    const server = await startServer({ createLLM: () => new ScriptedChunkLLM(() => chunks.slice(0, 500)) });
    const client = new StreamingAgentClient(server.url, { WebSocket: WebSocket as never });
    const seen: Array<{ accumulated: string; onWire: string | undefined }> = [];
    client.onDelta = (_delta, accumulated, frame) => seen.push({ accumulated, onWire: frame.accumulated });
    await client.connect();
    const done = new Promise<void>((resolve) => {
      client.onResult = () => resolve();
    });
    client.send('long');
    await done;
    client.close();
    expect(seen.every((s) => s.onWire === undefined)).toBe(true);
    expect(seen.at(-1)?.accumulated).toBe(chunks.slice(0, 500).join(''));
  });

  it('a merged delta is not left behind when the model pauses mid-generation', async () => {
    const before = chunks.slice(0, 3_000);
    let paused = false;
    const server = await startServer({
      accumulatedBudget: { perChar: 1, extra: 0, intervalMs: 50 },
      createLLM: () =>
        new TestLLM(async (_message, put, signal) => {
          for (const c of before) {
            put(c);
            await new Promise((resolve) => setImmediate(resolve));
          }
          paused = true;
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        }),
    });
    const client = await TestClient.connect(server.url);
    client.ask('long');
    const all = before.join('');
    await client.waitFor((f) => f.type === 'delta' && f.accumulated === all, 0, 60_000);
    expect(paused).toBe(true);
    expect(textOfTurn(client.frames)).toBe(all);
  });

  it('sendAccumulated: false and accumulatedBudget: false keep their meanings', () => {
    const event = (accumulated: string, delta: string) =>
      ({ type: 'text_delta', delta, accumulated, generation: 1 }) as const;
    const out: unknown[] = [];
    const never = new EventFramer(false);
    never.push(event('ab', 'ab'), undefined, (f) => out.push(f));
    expect(out).toEqual([{ type: 'delta', delta: 'ab', generation: 1 }]);
    const unlimited = new EventFramer(true, false);
    let text = '';
    let frames = 0;
    for (let i = 0; i < 1000; i++) {
      text += 'xyz';
      unlimited.push(event(text, 'xyz'), undefined, () => frames++);
    }
    expect(frames).toBe(1000);
  });
});
