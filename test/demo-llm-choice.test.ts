import { describe, expect, it } from 'vitest';
import { DemoLLM } from '../src/demo/index.js';
import { chooseLLM } from '../src/demo/llm-choice.js';
import { startOpenAICompatibleServer } from './helpers/openai-compatible-server.js';
import { startServer } from './helpers/server.js';
import { TestClient, textOfTurn } from './helpers/ws-client.js';

describe('the demo picks its LLM from the environment', () => {
  it('offline DemoLLM without OPENAI_API_KEY', async () => {
    const choice = chooseLLM({});
    expect(choice.description).toMatch(/offline DemoLLM/);
    expect(await choice.create()).toBeInstanceOf(DemoLLM);
  });

  it('the OpenAI plugin with OPENAI_API_KEY, honouring OPENAI_MODEL and OPENAI_BASE_URL', async () => {
    const endpoint = await startOpenAICompatibleServer(['Hi ', 'from ', 'a compatible server.']);
    try {
      const choice = chooseLLM({
        OPENAI_API_KEY: 'k',
        OPENAI_MODEL: 'my-model',
        OPENAI_BASE_URL: endpoint.baseURL,
      });
      expect(choice.description).toBe(`OpenAI my-model at ${endpoint.baseURL}`);
      const server = await startServer({ createLLM: choice.create });
      const client = await TestClient.connect(server.url);
      expect(textOfTurn(await client.turn('hello'))).toBe('Hi from a compatible server.');
      expect(endpoint.requests[0]).toMatchObject({ model: 'my-model', stream: true });
    } finally {
      await endpoint.close();
    }
  });
});
