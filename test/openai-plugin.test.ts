import { voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamEvent, StreamingTextOutput } from '../src/index.js';
import { createFakeRoom } from './helpers/fake-room.js';
import { startOpenAICompatibleServer } from './helpers/openai-compatible-server.js';
import { startOpenAIRealtimeServer } from './helpers/openai-realtime-server.js';
import { startServer } from './helpers/server.js';
import { weatherTool } from './helpers/session.js';
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

describe("the plugin's realtime model, offline (a loopback server speaking the realtime protocol)", () => {
  const saved = { baseURL: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
  afterEach(() => {
    for (const [name, value] of [
      ['OPENAI_BASE_URL', saved.baseURL],
      ['OPENAI_API_KEY', saved.key],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("the example's configuration (realtime model, timing 'both', in a room) through a tool call: generated and spoken text of both generations", async () => {
    const model = await startOpenAIRealtimeServer(
      [
        {
          input: 'weather in Paris?',
          content: 'Let me check the weather.',
          toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }],
        },
        { input: '"sunny"', content: 'It is sunny in Paris today.' },
        // Its audio leads its text, as the API's can: playback starts before the first word reaches us.
      ],
      { transcriptDelayMs: 300 },
    );
    const fake = createFakeRoom();
    // As examples/worker.ts builds it: the plugin finds the endpoint and key in the environment.
    process.env.OPENAI_BASE_URL = model.baseURL;
    process.env.OPENAI_API_KEY = 'test-key';
    const session = new voice.AgentSession({ llm: new openai.realtime.RealtimeModel({ voice: 'alloy' }) });
    try {
      await session.start({
        agent: new voice.Agent({ instructions: 'x', tools: { getWeather: weatherTool() } }),
        room: fake.room,
        inputOptions: { audioEnabled: false },
      });
      const generated: StreamEvent[] = [];
      const spoken: StreamEvent[] = [];
      // How many words were spoken when each generation's audio finished (seen before our tap sees it).
      const spokenAtAudioEnd: number[] = [];
      session.output.audio!.on(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, () =>
        spokenAtAudioEnd.push(spoken.filter((e) => e.type === 'text_delta').length),
      );
      const output = StreamingTextOutput.attach(session, { timing: 'both' });
      const readers = Promise.all([
        (async () => {
          for await (const e of output.subscribe()) generated.push(e);
        })(),
        (async () => {
          for await (const e of output.spoken.subscribe()) spoken.push(e);
        })(),
      ]);
      await session.run({ userInput: 'weather in Paris?' }).wait();
      const texts = (events: StreamEvent[]) =>
        events.flatMap((e) => (e.type === 'text_complete' ? [[e.generation, e.text]] : []));
      const expected = [
        [1, 'Let me check the weather.'],
        [2, 'It is sunny in Paris today.'],
      ];
      await vi.waitFor(() => expect(texts(spoken)).toEqual(expected), { timeout: 20_000, interval: 10 });
      output.close();
      output.spoken.close();
      await readers;
      expect(texts(generated)).toEqual(expected);
      // Spoken word by word as the audio plays, though the audio started before the first word
      // reached us: most of each generation's words were out before its audio ended.
      expect(spoken.filter((e) => e.type === 'text_delta' && e.generation === 2).length).toBe(6);
      expect(spokenAtAudioEnd).toHaveLength(2);
      expect(spokenAtAudioEnd[0]).toBeGreaterThanOrEqual(2);
      expect(spokenAtAudioEnd[1]! - 5).toBeGreaterThanOrEqual(2);
      // The model got the tool's output, and the key from the environment.
      const created = model.log.clientEvents.filter((e) => e.type === 'conversation.item.create');
      expect(created.map((e) => (e.item as { type: string }).type)).toContain('function_call_output');
      expect(model.log.authorizations[0]).toBe('Bearer test-key');
    } finally {
      await session.close();
      await model.close();
    }
  }, 60_000);
});
