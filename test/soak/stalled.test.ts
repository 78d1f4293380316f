import { describe, expect, it } from 'vitest';
import { StreamingTextOutput } from '../../src/index.js';
import { ScriptedChunkLLM } from '../helpers/scripted-llm.js';
import { startServer } from '../helpers/server.js';
import { createAgent } from '../helpers/session.js';
import { TestClient, textOfTurn } from '../helpers/ws-client.js';
import { report, size } from './size.js';

describe('stalled readers', () => {
  it('subscribe() readers that never read, during many deltas: bounded, and all text once they read', async () => {
    const deltas = size(100_000, 1_000_000);
    const out = new StreamingTextOutput({ bufferSize: 256 });
    const stalled = Array.from({ length: 5 }, () => out.subscribe());
    const active = out.subscribe();
    let activeText = '';
    const reading = (async () => {
      for await (const e of active) if (e.type === 'text_delta') activeText += e.delta;
    })();
    let produced = '';
    let maxBuffered = 0;
    for (let i = 0; i < deltas; i++) {
      const chunk = `d${i % 97} `;
      produced += chunk;
      await out.captureText(chunk);
      if (i % 10_000 === 9_999) {
        out.flush();
        maxBuffered = Math.max(maxBuffered, ...stalled.map((r) => r.buffered));
      }
    }
    out.flush();
    out.close();
    await reading;
    expect(activeText).toBe(produced);
    const generations = Math.ceil(deltas / 10_000);
    for (const reader of stalled) {
      // Bounded by bufferSize, or one merged delta and one complete per unread generation.
      expect(reader.buffered).toBeLessThanOrEqual(Math.max(256, 2 * generations + 1));
      let text = '';
      for await (const e of reader) if (e.type === 'text_delta') text += e.delta;
      expect(text).toBe(produced);
    }
    report('stalled subscribe() readers', {
      deltas,
      stalledReaders: 5,
      maxBufferedEvents: maxBuffered,
      generations,
    });
  }, 300_000);

  // Whether the stalling clients slow the others is a timing claim: the benchmark measures it
  // ("one client reading at a tenth of the speed among 20"). Here, what holds on any machine.
  it('clients that stop reading for a while get every character, and so does everyone else', async () => {
    const chunks = Array.from({ length: size(3_000, 20_000) }, (_, i) => `t${i} `);
    const reply = chunks.join('');
    const server = await startServer({
      createAgent: () => createAgent(),
      createLLM: () => new ScriptedChunkLLM(() => chunks, 8),
      rateLimit: false,
      highWaterMark: 8 * 1024,
      // The test clients keep every frame; with `accumulated` on each, 20,000 frames would hold
      // gigabytes in this process (the server's side is bounded either way).
      sendAccumulated: false,
    });
    const fast = await Promise.all(Array.from({ length: 6 }, () => TestClient.connect(server.url)));
    const slow = await Promise.all(Array.from({ length: 3 }, () => TestClient.connect(server.url)));
    let pauses = 0;
    const toggles = slow.map((c) => {
      let on = false;
      return setInterval(
        () => {
          on = !on;
          if (on) c.socket.resume();
          else {
            c.socket.pause();
            pauses++;
          }
        },
        size(300, 2000),
      );
    });
    for (const c of slow) c.socket.pause();
    const turns = await Promise.all([...fast, ...slow].map((c) => c.turn('go', 600_000)));
    for (const t of toggles) clearInterval(t);
    for (const c of slow) c.socket.resume();
    for (const frames of turns) {
      // Every character, in order, one complete with the whole text, then exactly one result.
      expect(textOfTurn(frames)).toBe(reply);
      expect(frames.filter((f) => f.type === 'complete')).toEqual([
        { type: 'complete', text: reply, generation: 1 },
      ]);
      expect(frames.filter((f) => f.type === 'result' || f.type === 'error').map((f) => f.type)).toEqual([
        'result',
      ]);
    }
    // Printed, not asserted: how much the server merged for the slow ones depends on the machine.
    const deltaFrames = (frames: (typeof turns)[number]) => frames.filter((f) => f.type === 'delta').length;
    await Promise.all([...fast, ...slow].map((c) => c.close()));
    report('stalled clients', {
      deltas: chunks.length,
      clients: fast.length + slow.length,
      stallingClients: slow.length,
      slowClientDeltaFrames: turns.slice(fast.length).map(deltaFrames),
      pausesWhileStreaming: pauses,
    });
  }, 300_000);
});
