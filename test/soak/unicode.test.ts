import { describe, expect, it } from 'vitest';
import { ScriptedChunkLLM } from '../helpers/scripted-llm.js';
import { startServer } from '../helpers/server.js';
import { createAgent } from '../helpers/session.js';
import { TestClient, textOfTurn } from '../helpers/ws-client.js';
import { report, size } from './size.js';

const REPLY = 'Grüße 👋🏽! Ça va? naïve café — 日本語のテキスト, e\u0301 a\u0308 👨‍👩‍👧‍👦 🇫🇷 Ω≈ç√ ∑ 🙂';

describe('unicode integrity', () => {
  it('a reply split at every possible boundary arrives identical, through the server and a real client', async () => {
    // Every code-unit boundary: one turn per cut position, plus one turn cut everywhere at once
    // (which splits surrogate pairs and grapheme clusters into separate chunks).
    const cuts = size(
      [1, 2, 3, 5, 8, 13, 21, 34],
      Array.from({ length: REPLY.length - 1 }, (_, i) => i + 1),
    );
    const scripts = new Map<string, string[]>([['every', [...Array(REPLY.length)].map((_, i) => REPLY[i]!)]]);
    for (const cut of cuts) scripts.set(`cut ${cut}`, [REPLY.slice(0, cut), REPLY.slice(cut)]);
    const server = await startServer({
      createAgent: () => createAgent(),
      createLLM: () => new ScriptedChunkLLM((m) => scripts.get(m)),
      rateLimit: false,
    });
    const client = await TestClient.connect(server.url);
    for (const message of scripts.keys()) {
      const frames = await client.turn(message);
      expect(textOfTurn(frames)).toBe(REPLY);
      expect(frames.find((f) => f.type === 'complete')).toMatchObject({ text: REPLY });
      const last = frames.filter((f) => f.type === 'delta').at(-1);
      expect(last?.type === 'delta' && last.accumulated).toBe(REPLY);
    }
    report('unicode integrity', { turns: scripts.size, replyCodeUnits: REPLY.length });
  }, 300_000);
});
