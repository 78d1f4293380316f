import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm } from '@livekit/agents';

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * A test LLM that streams `partial` and then fails: 'throw' raises an error mid-stream, 'hang'
 * never finishes (until the framework aborts it). Any other input gets `healthy` as a normal reply.
 */
export class FailingLLM extends llm.LLM {
  constructor(
    readonly mode: 'throw' | 'hang',
    readonly partial = 'Partial text before the failure. ',
    readonly healthy = 'All good now.',
  ) {
    super();
  }
  label(): string {
    return 'failing-llm';
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new FailingStream(this, { chatCtx, toolCtx, connOptions: { ...connOptions, maxRetry: 0 } });
  }
}

class FailingStream extends llm.LLMStream {
  constructor(
    private readonly owner: FailingLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }
  protected async run(): Promise<void> {
    const last = this.chatCtx.items.at(-1);
    const input = last?.type === 'message' ? (last.textContent ?? '') : '';
    const put = (content: string) => this.queue.put({ id: 'f', delta: { role: 'assistant', content } });
    if (input !== 'fail') {
      put(this.owner.healthy);
      return;
    }
    for (const word of this.owner.partial.match(/\S+\s*/g) ?? []) put(word);
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.owner.mode === 'throw') throw new Error('model exploded');
    await new Promise<void>((resolve) =>
      this.abortController.signal.addEventListener('abort', () => resolve()),
    );
  }
}
