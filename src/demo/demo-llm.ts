import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';
import { WEATHER_TOOL_NAME } from './weather.js';

export interface DemoLLMOptions {
  /** Pause between tokens, so a person can watch the reply arrive. Default 35 ms. */
  tokenDelayMs?: number;
}

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * An offline LLM for the demo and for tests: a real `llm.LLM` subclass that streams plausible
 * replies token by token at a readable pace, and calls the weather tool when asked about the
 * weather, so the whole tool-call flow runs with no key and no network.
 */
export class DemoLLM extends llm.LLM {
  readonly tokenDelayMs: number;

  constructor(options: DemoLLMOptions = {}) {
    super();
    this.tokenDelayMs = options.tokenDelayMs ?? 35;
  }

  label(): string {
    return 'demo-llm';
  }

  override get model(): string {
    return 'offline-demo';
  }

  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new DemoLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class DemoLLMStream extends llm.LLMStream {
  private readonly demo: DemoLLM;

  constructor(
    demo: DemoLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(demo, params);
    this.demo = demo;
  }

  protected async run(): Promise<void> {
    const last = this.chatCtx.items.at(-1);
    if (last?.type === 'function_call_output') {
      await this.say(
        `Here is what I found: ${describeToolOutput(last.output)} Anything else you'd like to know?`,
      );
      return;
    }
    const userText = last?.type === 'message' && last.role === 'user' ? (last.textContent ?? '') : '';
    const city = askedWeatherIn(userText);
    if (city !== undefined && this.toolCtx?.functionTools[WEATHER_TOOL_NAME] !== undefined) {
      await this.say(`Let me look up the weather in ${city} for you.`);
      if (this.abortController.signal.aborted) return;
      this.queue.put({
        id: 'demo',
        delta: {
          role: 'assistant',
          toolCalls: [
            llm.FunctionCall.create({
              callId: `demo_call_${Date.now()}`,
              name: WEATHER_TOOL_NAME,
              args: JSON.stringify({ city }),
            }),
          ],
        },
      });
      return;
    }
    await this.say(replyTo(userText));
  }

  /** Streams `text` a word at a time, stopping as soon as the generation is interrupted. */
  private async say(text: string): Promise<void> {
    const signal = this.abortController.signal;
    for (const token of text.match(/\S+\s*/g) ?? []) {
      if (signal.aborted) return;
      this.queue.put({ id: 'demo', delta: { role: 'assistant', content: token } });
      if (this.demo.tokenDelayMs > 0) await sleep(this.demo.tokenDelayMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function askedWeatherIn(text: string): string | undefined {
  if (!/\b(weather|forecast|temperature|rain|sunny)\b/i.test(text)) return undefined;
  const match = /\b(?:in|for|at)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)*)/u.exec(text);
  return match?.[1] ?? 'San Francisco';
}

function describeToolOutput(output: string): string {
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'string' ? value : output;
  } catch {
    return output;
  }
}

function replyTo(userText: string): string {
  const quoted = userText.length > 80 ? `${userText.slice(0, 77)}...` : userText;
  return (
    `You said: "${quoted}". I'm the offline demo model, so I don't really understand you, ` +
    'but I do stream this reply one word at a time, exactly the way a real LLM would, ' +
    'so you can watch each delta arrive over the WebSocket. ' +
    'Ask me about the weather in Paris to see a tool call in the middle of a turn.'
  );
}
