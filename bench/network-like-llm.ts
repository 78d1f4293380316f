import { setImmediate as immediate } from 'node:timers/promises';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * Streams a fixed reply in fixed chunks, yielding to the event loop between chunks the way a
 * network stream does. FakeLLM queues its whole reply at once, so the framework processes it in
 * one run of microtasks and no socket gets a byte until the reply is done: fine for correctness
 * tests, misleading for latency and fan-out figures.
 */
export class NetworkLikeLLM extends llm.LLM {
  constructor(
    readonly chunks: readonly string[],
    readonly everyChunks = 1,
  ) {
    super();
  }
  label(): string {
    return 'network-like-llm';
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new NetworkLikeStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class NetworkLikeStream extends llm.LLMStream {
  constructor(
    private readonly owner: NetworkLikeLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }
  protected async run(): Promise<void> {
    const { chunks, everyChunks } = this.owner;
    for (let i = 0; i < chunks.length; i++) {
      if (this.abortController.signal.aborted) return;
      this.queue.put({ id: 'bench', delta: { role: 'assistant', content: chunks[i]! } });
      if (i % everyChunks === everyChunks - 1) await immediate();
    }
  }
}
