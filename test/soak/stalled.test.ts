import { describe, expect, it } from 'vitest';
import { StreamingTextOutput } from '../../src/index.js';
import { percentile } from '../../support/stats.js';
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

  it('clients that stop reading for a while lose nothing, and do not slow the others', async () => {
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
    // The same nine sessions both times, so the only difference is whether three of them stall.
    const turnTimes = async (stall: boolean) => {
      const fast = await Promise.all(Array.from({ length: 6 }, () => TestClient.connect(server.url)));
      const slow = await Promise.all(Array.from({ length: 3 }, () => TestClient.connect(server.url)));
      const toggles = (stall ? slow : []).map((c) => {
        let on = true;
        return setInterval(
          () => {
            on = !on;
            if (on) c.socket.resume();
            else c.socket.pause();
          },
          size(300, 2000),
        );
      });
      if (stall) for (const c of slow) c.socket.pause();
      const slowTurns = slow.map((c) => c.turn('go', 600_000));
      const times = await Promise.all(
        fast.map(async (c) => {
          const start = performance.now();
          const frames = await c.turn('go', 600_000);
          expect(textOfTurn(frames)).toBe(reply);
          return performance.now() - start;
        }),
      );
      for (const t of toggles) clearInterval(t);
      for (const c of slow) c.socket.resume();
      for (const frames of await Promise.all(slowTurns)) {
        expect(textOfTurn(frames)).toBe(reply);
        expect(frames.find((f) => f.type === 'complete')).toMatchObject({ text: reply });
      }
      await Promise.all([...fast, ...slow].map((c) => c.close()));
      return { p99: percentile(times, 99) };
    };
    const alone = await turnTimes(false);
    const withStalled = await turnTimes(true);
    report('stalled clients', {
      deltas: chunks.length,
      fastTurnP99WithReadingOthersMs: Math.round(alone.p99),
      fastTurnP99WithStalledMs: Math.round(withStalled.p99),
    });
  }, 300_000);
});
