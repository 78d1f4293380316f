import { setTimeout as sleep } from 'node:timers/promises';
import { voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { StreamingTextOutput } from '../src/core/streaming-text-output.js';
import { TextOutputBase, type TimedString } from '../src/core/text-output.js';
import type { ServerFrame } from '../src/protocol/frames.js';
import { EventFramer } from '../src/session/event-frames.js';
import type { FrameSender } from '../src/session/frame-sender.js';
import { Turn } from '../src/session/turn.js';
import { ScriptedChunkLLM, TestLLM } from './helpers/scripted-llm.js';
import { startServer } from './helpers/server.js';
import { createAgent } from './helpers/session.js';
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

  it("an interrupted turn's result shows the cut assistant message, as the framework's RunResult does", async () => {
    // A forced interrupt makes the framework drop the cut message from the run's events; the
    // client's interrupt is a polite one, so `result` says what was said before the cut.
    const server = await startServer({ createLLM: stallingModel, rateLimit: false });
    const client = await TestClient.connect(server.url);
    for (let round = 0; round < 3; round++) {
      const from = client.frames.length;
      client.ask('stall', `cut${round}`);
      await client.waitFor((f) => f.type === 'delta', from);
      client.send({ type: 'interrupt' });
      const end = await client.waitFor((f) => f.type === 'result' || f.type === 'error', from);
      const result = client.frames[end];
      expect(result).toMatchObject({ type: 'result', interrupted: true, id: `cut${round}` });
      const said = (result as { events: { type: string; role?: string; interrupted?: boolean }[] }).events;
      expect(said).toContainEqual(
        expect.objectContaining({ type: 'message', role: 'assistant', interrupted: true }),
      );
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

/** A text sink after ours whose `captureText` a test can hold, as a slow transcription sink would. */
class HoldableSink extends TextOutputBase {
  hold: Promise<void> | undefined;
  captureText(_text: string | TimedString): Promise<void> {
    return this.hold ?? Promise.resolve();
  }
  flush(): void {}
}

/** A real session and output, and a Turn whose frames land in an array instead of a socket. */
async function turnRig() {
  const sink = new HoldableSink();
  // Streams a word every 10 ms until aborted.
  const model = new TestLLM(async (_message, put, signal) => {
    for (let i = 0; i < 1000 && !signal.aborted; i++) {
      put(`w${i} `);
      await sleep(10);
    }
  });
  const session = new voice.AgentSession({ llm: model, userAwayTimeout: null });
  session.output.transcription = sink;
  const output = StreamingTextOutput.attach(session, { toolSteps: true, backlogSize: 0 });
  const reader = output.subscribe();
  await session.start({ agent: createAgent() });
  const frames: ServerFrame[] = [];
  const sender = {
    isOpen: true,
    isBehind: false,
    send: (frame: ServerFrame) => frames.push(frame),
    drained: () => Promise.resolve(),
  } as unknown as FrameSender;
  const turn = (message: string) =>
    new Turn(
      {
        session,
        output,
        reader,
        sender,
        framer: new EventFramer(false),
        turnTimeoutMs: 30_000,
        onError: () => {},
      },
      message,
      undefined,
    );
  return { session, sink, output, frames, turn };
}

describe('the late-flush grace', () => {
  it('waits for a cut generation whose flush comes well after the run completed', async () => {
    // The sink after ours is slow at the moment of the interrupt: the framework completes the run,
    // then flushes the cut generation only once that sink lets go. With no grace (or a grace
    // shorter than the sink's delay) the result goes first and the complete leaks; this fails.
    const { session, sink, frames, turn } = await turnRig();
    const running = turn('go');
    const answering = running.answer();
    while (!frames.some((f) => f.type === 'delta')) await sleep(5);
    let letGo!: () => void;
    sink.hold = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const held = frames.length;
    while (frames.length === held) await sleep(5); // the next chunk is now stuck in the sink
    running.interrupt();
    setTimeout(() => letGo(), 300);
    await answering;
    const types = frames.map((f) => f.type).filter((t, i, all) => t !== all[i - 1]);
    expect(types).toEqual(['delta', 'complete', 'result']);
    await session.close();
  });

  it('is bounded: a flush that never comes still gets the turn its result', async () => {
    const { session, sink, output, frames, turn } = await turnRig();
    const running = turn('go');
    const answering = running.answer();
    while (!frames.some((f) => f.type === 'delta')) await sleep(5);
    sink.hold = new Promise<void>(() => {}); // never lets go
    const held = frames.length;
    while (frames.length === held) await sleep(5);
    running.interrupt();
    await answering;
    expect(output.isGenerating).toBe(true); // the cut generation was never flushed
    expect(frames.at(-1)).toMatchObject({ type: 'result', interrupted: true });
    output.close();
    await session.close();
  });
});
