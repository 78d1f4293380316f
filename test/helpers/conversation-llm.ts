import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm, voice } from '@livekit/agents';
import { z } from 'zod';

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * The reply ConversationLLM streams for a user message, given what was said before it (the user
 * messages in the chat context, oldest first). Tests use it to know each turn's exact text.
 *   remember <word>  → "Noted <word>."
 *   recall           → "You asked me to remember <w1> <w2> …." (from the chat context)
 *   count <n>        → "w1 w2 … wn " (n words, streamed one per chunk)
 *   tool <n>         → "Checking." then the `lookup` tool, then "Tool said n done."
 */
export function replyFor(message: string, before: readonly string[]): string[] {
  const [verb, arg = ''] = message.split(' ');
  switch (verb) {
    case 'remember':
      return [`Noted ${arg}.`];
    case 'recall': {
      const words = before.filter((m) => m.startsWith('remember ')).map((m) => m.slice(9));
      return [`You asked me to remember ${words.join(' ')}.`];
    }
    case 'count':
      return [Array.from({ length: Number(arg) }, (_, i) => `w${i + 1} `).join('')];
    case 'tool':
      return ['Checking.', `Tool said ${arg} done.`];
    default:
      return [''];
  }
}

/** Words of `text` as the chunks the LLM streams: one word (with its space) per chunk. */
function chunksOf(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/**
 * A real `llm.LLM` that answers from the chat context, so a test can tell whether a session still
 * remembers what was said before a reconnect. Yields to the event loop between chunks.
 */
export class ConversationLLM extends llm.LLM {
  /** `chunkDelayMs` > 0 paces the reply (a turn that must still be running after a slow fault, on any Node). */
  constructor(readonly chunkDelayMs = 0) {
    super();
  }
  label(): string {
    return 'conversation-llm';
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    return new ConversationStream(this, { chatCtx, toolCtx, connOptions: { ...connOptions, maxRetry: 0 } });
  }
}

class ConversationStream extends llm.LLMStream {
  constructor(
    private readonly owner: ConversationLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }

  protected async run(): Promise<void> {
    const items = this.chatCtx.items;
    const last = items.at(-1);
    const users = items
      .filter((i): i is llm.ChatMessage => i.type === 'message' && i.role === 'user')
      .map((m) => m.textContent ?? '');
    if (last?.type === 'function_call_output') {
      const message = users.at(-1) ?? '';
      await this.stream(replyFor(message, users.slice(0, -1))[1] ?? '');
      return;
    }
    if (last?.type !== 'message' || last.role !== 'user') return;
    const message = last.textContent ?? '';
    const [first] = replyFor(message, users.slice(0, -1));
    await this.stream(first ?? '');
    if (message.startsWith('tool ')) {
      const call = llm.FunctionCall.create({
        callId: `call_${users.length}`,
        name: 'lookup',
        args: JSON.stringify({ n: message.slice(5) }),
      });
      this.queue.put({ id: 'conv', delta: { role: 'assistant', toolCalls: [call] } });
    }
  }

  private async stream(text: string): Promise<void> {
    for (const chunk of chunksOf(text)) {
      if (this.abortController.signal.aborted) return;
      this.queue.put({ id: 'conv', delta: { role: 'assistant', content: chunk } });
      if (this.owner.chunkDelayMs > 0) await sleep(this.owner.chunkDelayMs);
      else await immediate();
    }
  }
}

/** An agent with the `lookup` tool ConversationLLM calls; the tool takes a few event-loop turns. */
export function conversationAgent(): voice.Agent {
  return new voice.Agent({
    instructions: 'You are a test agent.',
    tools: {
      lookup: llm.tool({
        description: 'Look something up',
        parameters: z.object({ n: z.string() }),
        execute: async ({ n }) => {
          for (let i = 0; i < 5; i++) await immediate();
          return `${n} done`;
        },
      }),
    },
  });
}
