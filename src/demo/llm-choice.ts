import type { llm } from '@livekit/agents';
import { DemoLLM } from './demo-llm.js';

export interface LLMChoice {
  create: () => Promise<llm.LLM>;
  description: string;
}

/** OpenAI (or a compatible server) when a key is set; the offline DemoLLM otherwise. */
export function chooseLLM(env: NodeJS.ProcessEnv = process.env): LLMChoice {
  const apiKey = env.OPENAI_API_KEY;
  if (!apiKey) {
    return {
      create: async () => new DemoLLM(),
      description: 'offline DemoLLM (set OPENAI_API_KEY to use OpenAI)',
    };
  }
  const model = env.OPENAI_MODEL || 'gpt-4o-mini';
  const baseURL = env.OPENAI_BASE_URL || undefined;
  return {
    create: async () => {
      // Loaded only when asked for, so the offline demo needs no OpenAI plugin.
      const openai = await import('@livekit/agents-plugin-openai');
      return new openai.LLM({ model, apiKey, baseURL });
    },
    description: `OpenAI ${model}${baseURL ? ` at ${baseURL}` : ''}`,
  };
}
