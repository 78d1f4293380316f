import { llm } from '@livekit/agents';
import { z } from 'zod';

export const WEATHER_TOOL_NAME = 'lookupWeather';

const CONDITIONS = ['sunny', 'partly cloudy', 'overcast', 'light rain', 'windy', 'foggy'];

/** Deterministic made-up weather: the same city always gets the same report. */
export function fakeWeather(city: string): string {
  let hash = 0;
  for (const ch of city.toLowerCase()) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const condition = CONDITIONS[hash % CONDITIONS.length];
  const celsius = 8 + (hash % 20);
  return `${condition} and ${celsius}°C in ${city}.`;
}

/** How long the demo's tool takes: long enough to see its step "running…" in the page. */
export const WEATHER_DELAY_MS = 1000;

/** The weather tool; it answers after `delayMs` (default about a second), or at once when aborted. */
export function weatherTool({ delayMs = WEATHER_DELAY_MS }: { delayMs?: number } = {}) {
  return llm.tool({
    description: 'Look up the current weather in a city.',
    parameters: z.object({ city: z.string().describe('The city name, e.g. Paris') }),
    execute: async ({ city }, { abortSignal }) => {
      await pause(delayMs, abortSignal);
      return fakeWeather(city);
    },
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
