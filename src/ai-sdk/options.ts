import type { IncomingMessage } from 'node:http';
import type { llm, voice } from '@livekit/agents';

type Awaitable<T> = T | Promise<T>;
export type SessionOptions = ConstructorParameters<typeof voice.AgentSession>[0];

/** What the factories learn about the chat they build a session for. */
export interface ChatSessionContext {
  /** The chat id the AI SDK client sent (`useChat`'s `id`). */
  chatId: string;
  /** The request (HTTP POST, or the WebSocket upgrade) that opened this chat's session. */
  request: IncomingMessage;
}

export interface AISDKChatsOptions {
  /** One agent per chat. */
  createAgent: (context: ChatSessionContext) => Awaitable<voice.Agent>;
  /** One LLM per chat. Optional when the agent brings its own. */
  createLLM?: (context: ChatSessionContext) => Awaitable<llm.LLM>;
  /** Extra `AgentSession` options. `llm` from `createLLM` wins. */
  sessionOptions?: (context: ChatSessionContext) => Awaitable<SessionOptions>;
  /**
   * Whether this request may use this chat id (send, resume or stop). Chat ids come from the
   * client: without this, anyone who knows one can read or stop that chat. Default: allow.
   */
  authorize?: (request: IncomingMessage, chatId: string) => Awaitable<boolean>;
  /** Origins allowed to open the WebSocket (exact match), or a predicate. Default: any origin. */
  allowedOrigins?: readonly string[] | ((origin: string | undefined) => boolean);
  /**
   * Chats with a live AgentSession at most. A new chat past it closes the least recently used idle
   * chat; when every chat is answering, it is refused. Default 100.
   */
  maxChats?: number;
  /** A chat unused this long (no turn running) has its session closed. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** A turn that takes longer is interrupted and ends with an error. Default 120 s. */
  turnTimeoutMs?: number;
  /** Largest request body or WebSocket frame, in bytes (it carries the whole chat). Default 1 MiB. */
  maxPayload?: number;
  /** Events buffered per chat before deltas are merged. Default 1024. */
  bufferSize?: number;
  /** Errors that are not the client's fault. Default: console.error. */
  onError?: (error: unknown, where: string) => void;
}

export type ResolvedChatOptions = Required<
  Pick<
    AISDKChatsOptions,
    'createAgent' | 'maxChats' | 'idleTimeoutMs' | 'turnTimeoutMs' | 'maxPayload' | 'bufferSize' | 'onError'
  >
> &
  Pick<AISDKChatsOptions, 'createLLM' | 'sessionOptions' | 'authorize' | 'allowedOrigins'>;

const NAME = 'createAISDKChats';

export function resolveChatOptions(options: AISDKChatsOptions): ResolvedChatOptions {
  if (typeof options?.createAgent !== 'function') {
    throw new TypeError(
      `${NAME}: \`createAgent\` must be a function returning a voice.Agent, got ${typeof options?.createAgent}`,
    );
  }
  for (const name of ['createLLM', 'sessionOptions', 'authorize', 'onError'] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`${NAME}: \`${name}\` must be a function, got ${typeof value}`);
    }
  }
  const origins = options.allowedOrigins;
  if (origins !== undefined && typeof origins !== 'function' && !Array.isArray(origins)) {
    throw new TypeError(
      `${NAME}: \`allowedOrigins\` must be an array of origins or a function, got ${typeof origins}`,
    );
  }
  const number = (name: keyof AISDKChatsOptions, fallback: number, min: number) => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number') {
      throw new TypeError(`${NAME}: \`${name}\` must be a number, got ${typeof value}`);
    }
    if (!Number.isFinite(value) || value < min) {
      throw new RangeError(`${NAME}: \`${name}\` must be a number >= ${min}, got ${value}`);
    }
    return value;
  };
  const maxChats = number('maxChats', 100, 1);
  if (!Number.isInteger(maxChats)) {
    throw new RangeError(`${NAME}: \`maxChats\` must be an integer, got ${maxChats}`);
  }
  return {
    ...options,
    maxChats,
    idleTimeoutMs: number('idleTimeoutMs', 10 * 60_000, 1),
    turnTimeoutMs: number('turnTimeoutMs', 120_000, 1),
    maxPayload: number('maxPayload', 1024 * 1024, 1),
    bufferSize: number('bufferSize', 1024, 1),
    onError:
      options.onError ??
      ((error, where) => console.error(`[livekit-streaming-text/ai-sdk] ${where}:`, error)),
  };
}
