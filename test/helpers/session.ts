import { llm, voice } from '@livekit/agents';
import { z } from 'zod';

export type FakeResponse = ConstructorParameters<typeof voice.testing.FakeLLM>[0] extends
  | Array<infer R>
  | undefined
  ? R
  : never;

/** The scripted conversation most tests use: a plain reply and a tool-call turn. */
export const WEATHER_SCRIPT: FakeResponse[] = [
  { input: 'hello', content: 'Hello there! How can I help you today?' },
  {
    input: 'weather in Paris?',
    content: 'Let me check the weather.',
    toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }],
  },
  // A tool's output reaches the next LLM turn JSON-encoded.
  { input: '"sunny"', content: 'It is sunny in Paris today.' },
];

export function weatherTool() {
  return llm.tool({
    description: 'Look up the weather in a city',
    parameters: z.object({ city: z.string() }),
    execute: async () => 'sunny',
  });
}

export function createAgent(instructions = 'You are a helpful assistant.'): voice.Agent {
  return new voice.Agent({ instructions, tools: { getWeather: weatherTool() } });
}

/** A real AgentSession with FakeLLM, text only, no room. Call `start()` yourself after attaching. */
export function createSession(script: FakeResponse[] = WEATHER_SCRIPT) {
  const fake = new voice.testing.FakeLLM(script);
  const session = new voice.AgentSession({ llm: fake });
  return { session, agent: createAgent(), llm: fake };
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}
