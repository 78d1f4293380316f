import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StreamingTextOutput } from '../src/streaming-text-output.js';
import { ScriptedChunkLLM, TestLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

describe('StreamingTextOutput.whenIdle()', () => {
  it('resolves at once with no generation open, and at the flush that ends an open one', async () => {
    const out = new StreamingTextOutput();
    let idle = false;
    await out.whenIdle();
    await out.captureText('a');
    const waiting = out.whenIdle().then(() => {
      idle = true;
    });
    await sleep(0);
    expect(idle).toBe(false);
    out.flush();
    await waiting;
    expect(idle).toBe(true);
  });

  it('resolves at close() too, so nothing waits on an output that will never flush', async () => {
    const out = new StreamingTextOutput();
    await out.captureText('a');
    const waiting = out.whenIdle();
    out.close();
    await waiting;
    expect(out.isClosed).toBe(true);
  });
});

/** Streams a few words, then stalls until the framework aborts it: an interrupt cuts it mid-text. */
const stallingModel = () =>
  new TestLLM(async (message, put, signal) => {
    if (message !== 'stall') {
      put('Fine.');
      return;
    }
    for (const word of ['One ', 'two ', 'three ']) put(word);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  });

describe('the turn boundary', () => {
  it('an interrupted turn keeps its cut generation: the framework flushes it after the run completed (10 rounds)', async () => {
    // The framework completes an interrupted run before it flushes the generation it cut. A turn
    // that answered at the run's completion would send `result` first and leak the `complete`
    // into the next turn. Without the wait for idle, this fails.
    const server = await startServer({ createLLM: stallingModel, rateLimit: false });
    const client = await TestClient.connect(server.url);
    for (let round = 0; round < 10; round++) {
      const from = client.frames.length;
      client.ask('stall', `r${round}`);
      await client.waitFor((f) => f.type === 'delta', from);
      client.send({ type: 'interrupt' });
      const end = await client.waitFor((f) => f.type === 'result' || f.type === 'error', from);
      const frames = client.frames.slice(from, end + 1);
      const types = frames.map((f) => f.type).filter((t, i, all) => t !== all[i - 1]);
      expect(types).toEqual(['delta', 'complete', 'result']);
      expect(frames.at(-2)).toMatchObject({ type: 'complete', text: textOfTurn(frames), id: `r${round}` });
      expect(frames.at(-1)).toMatchObject({ type: 'result', interrupted: true, id: `r${round}` });
      const next = await client.turn('hello');
      expect(next.map((f) => f.type)).toEqual(['delta', 'complete', 'result']);
      expect(textOfTurn(next)).toBe('Fine.');
    }
  });

  it('turnTimeoutMs bounds the run, not the delivery: a client that pauses reading past it still gets result', async () => {
    // 200 chunks of 5 kB, `accumulated` on every frame: about 100 MB to send, far more than the
    // kernel buffers of a paused socket, so the server is still delivering long after the model
    // finished.
    const chunk = 'x'.repeat(4_999) + ' ';
    const chunks = Array.from({ length: 200 }, () => chunk);
    const server = await startServer({
      createLLM: () => new ScriptedChunkLLM((m) => (m === 'long' ? chunks : ['ok'])),
      turnTimeoutMs: 1_500,
      highWaterMark: 16 * 1024,
    });
    const client = await TestClient.connect(server.url);
    client.socket.pause();
    client.ask('long', 'slow');
    await sleep(4_000);
    client.socket.resume();
    const end = await client.waitFor((f) => f.type === 'result' || f.type === 'error', 0, 60_000);
    const frames = client.frames.slice(1, end + 1);
    expect(frames.at(-1)).toMatchObject({ type: 'result', id: 'slow' });
    expect(textOfTurn(frames)).toBe(chunks.join(''));
    expect(frames.at(-1)).toMatchObject({
      events: [{ type: 'message', role: 'assistant', content: chunks.join('') }],
    });
  });
});
