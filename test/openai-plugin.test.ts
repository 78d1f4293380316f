import * as openai from '@livekit/agents-plugin-openai';
import { describe, expect, it } from 'vitest';
import { startOpenAICompatibleServer } from './helpers/openai-compatible-server.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

describe('the real OpenAI plugin, offline', () => {
  it('streams the chunks of an OpenAI-compatible endpoint to a ws client as deltas', async () => {
    const chunks = ['Stream', 'ing ', 'from ', 'a ', 'real ', 'plug', 'in: ', 'naïve ', '👋🏽', '!'];
    const endpoint = await startOpenAICompatibleServer(chunks);
    try {
      const server = await startServer({
        createLLM: () =>
          new openai.LLM({ model: 'test-model', baseURL: endpoint.baseURL, apiKey: 'test-key' }),
      });
      const client = await TestClient.connect(server.url);
      const frames = await client.turn('hello');
      const deltas = frames.filter((f) => f.type === 'delta').map((f) => (f.type === 'delta' ? f.delta : ''));
      expect(deltas.join('')).toBe(chunks.join(''));
      expect(deltas.length).toBeGreaterThan(1);
      expect(textOfTurn(frames)).toBe(chunks.join(''));
      expect(frames.at(-1)).toMatchObject({
        type: 'result',
        events: [{ type: 'message', role: 'assistant', content: chunks.join('') }],
      });
      expect(endpoint.requests).toHaveLength(1);
      expect(JSON.stringify(endpoint.requests[0])).toContain('hello');
    } finally {
      await endpoint.close();
    }
  });
});
