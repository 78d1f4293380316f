import { setImmediate as immediate } from 'node:timers/promises';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * Streams exactly the chunks a script gives for the user's message, yielding to the event loop
 * between chunks the way a network stream does. (FakeLLM queues a whole reply at once and cuts it
 * into 3-character chunks of its choosing.) An unknown message gets an empty reply.
 */
export class ScriptedChunkLLM extends llm.LLM {
  constructor(
    readonly script: (message: string) => readonly string[] | undefined,
    readonly yieldEvery = 1,
  ) {
    super();
  }
  label(): string {
    return 'scripted-chunk-llm';
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new ScriptedStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class ScriptedStream extends llm.LLMStream {
  constructor(
    private readonly owner: ScriptedChunkLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }
  protected async run(): Promise<void> {
    const last = this.chatCtx.items.at(-1);
    const message = last?.type === 'message' && last.role === 'user' ? (last.textContent ?? '') : '';
    const chunks = this.owner.script(message) ?? [];
    for (let i = 0; i < chunks.length; i++) {
      if (this.abortController.signal.aborted) return;
      this.queue.put({ id: 'scripted', delta: { role: 'assistant', content: chunks[i]! } });
      if (i % this.owner.yieldEvery === this.owner.yieldEvery - 1) await immediate();
    }
  }
}
