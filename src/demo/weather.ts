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

export function weatherTool() {
  return llm.tool({
    description: 'Look up the current weather in a city.',
    parameters: z.object({ city: z.string().describe('The city name, e.g. Paris') }),
    execute: async ({ city }) => fakeWeather(city),
  });
}
