import { voice } from '@livekit/agents';
import { WEATHER_TOOL_NAME, weatherTool } from './weather.js';

export { DemoLLM, type DemoLLMOptions } from './demo-llm.js';
export { weatherTool } from './weather.js';

const DEMO_INSTRUCTIONS =
  'You are a friendly assistant in a streaming-text demo. Keep answers short. ' +
  'Use the lookupWeather tool when asked about the weather.';

/** The demo's agent: short answers and a weather tool. */
export function createDemoAgent(): voice.Agent {
  return new voice.Agent({ instructions: DEMO_INSTRUCTIONS, tools: { [WEATHER_TOOL_NAME]: weatherTool() } });
}
