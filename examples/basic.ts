/**
 * `npm run example`: stream an agent's reply as it is generated, offline.
 * FakeLLM plays a scripted conversation, including a tool call, so no key or network is needed.
 */
import { initializeLogger, llm, voice } from '@livekit/agents';
import { z } from 'zod';
import { StreamingTextOutput } from '../src/index.js';

initializeLogger({ pretty: false, level: 'error' });

const agent = new voice.Agent({
  instructions: 'You are a helpful assistant.',
  tools: {
    getWeather: llm.tool({
      description: 'Look up the weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => `sunny in ${city}`,
    }),
  },
});
const session = new voice.AgentSession({
  llm: new voice.testing.FakeLLM([
    { input: 'Hello!', content: 'Hi! I stream my replies a few characters at a time.' },
    {
      input: 'Weather in Paris?',
      content: 'Let me check that for you.',
      toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }],
    },
    { input: '"sunny in Paris"', content: 'It is sunny in Paris today.' },
  ]),
});

// The one line: put the output on the session (chaining in front of any output already there).
const output = StreamingTextOutput.attach(session);
await session.start({ agent });

// A reader that sees every event of every generation, for as long as the session lives.
const printing = (async () => {
  for await (const event of output.subscribe()) {
    if (event.type === 'text_delta') process.stdout.write(`[${event.delta}]`);
    else if (event.type === 'text_complete')
      process.stdout.write(`\n  ✓ generation ${event.generation} complete: "${event.text}"\n`);
  }
})();

for (const userInput of ['Hello!', 'Weather in Paris?']) {
  console.log(`\nuser: ${userInput}`);
  const result = await session.run({ userInput }).wait();
  console.log(
    `  run finished with ${result.events.length} events: ${result.events.map((e) => e.type).join(', ')}`,
  );
}

output.close();
await printing;
await session.close();
