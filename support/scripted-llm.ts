import { setImmediate as immediate } from 'node:timers/promises';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/** How a test LLM answers: push chunks with `put`, stop when `signal` aborts. */
export type Respond = (message: string, put: (content: string) => void, signal: AbortSignal) => Promise<void>;

/** A real `llm.LLM` whose replies a test writes as a function. No retries: a failure is final. */
export class TestLLM extends llm.LLM {
  constructor(
    private readonly respond: Respond,
    private readonly name = 'test-llm',
  ) {
    super();
  }
  label(): string {
    return this.name;
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new TestStream(this, this.respond, {
      chatCtx,
      toolCtx,
      connOptions: { ...connOptions, maxRetry: 0 },
    });
  }
}

class TestStream extends llm.LLMStream {
  constructor(
    owner: TestLLM,
    private readonly respond: Respond,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }
  protected async run(): Promise<void> {
    const last = this.chatCtx.items.at(-1);
    const message = last?.type === 'message' && last.role === 'user' ? (last.textContent ?? '') : '';
    const put = (content: string) => this.queue.put({ id: 'test', delta: { role: 'assistant', content } });
    await this.respond(message, put, this.abortController.signal);
  }
}

/**
 * Streams exactly the chunks a script gives for the user's message, yielding to the event loop
 * every `yieldEvery` chunks the way a network stream does. (FakeLLM queues a whole reply at once
 * and cuts it into 3-character chunks of its choosing.) An unknown message gets an empty reply.
 */
export class ScriptedChunkLLM extends TestLLM {
  constructor(script: (message: string) => readonly string[] | undefined, yieldEvery = 1) {
    super(async (message, put, signal) => {
      const chunks = script(message) ?? [];
      for (let i = 0; i < chunks.length; i++) {
        if (signal.aborted) return;
        put(chunks[i]!);
        if (i % yieldEvery === yieldEvery - 1) await immediate();
      }
    }, 'scripted-chunk-llm');
  }
}
