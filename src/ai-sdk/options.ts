import type { IncomingMessage } from 'node:http';
import { OptionChecks } from '../core/option-checks.js';
import type { FrameLog } from '../session/frame-log.js';
import {
  type AgentOptions,
  type ResolvedAgentOptions,
  type ResolvedSocketLimits,
  resolveAgentOptions,
  resolveSocketLimits,
  resolveStores,
  type SocketLimits,
} from '../session/options.js';
import type { SessionStore } from '../session/store.js';

type Awaitable<T> = T | Promise<T>;

/** What the factories learn about the chat they build a session for. */
export interface ChatSessionContext {
  /** The chat id the AI SDK client sent (`useChat`'s `id`). */
  chatId: string;
  /** The request (HTTP POST, or the WebSocket upgrade) that opened this chat's session. */
  request: IncomingMessage;
}

/**
 * The agent options are `createStreamingServer`'s (`createAgent`, `createLLM`, `sessionOptions`,
 * `turnTimeoutMs`, `bufferSize`, `onError`), and so are the socket limits (`maxConnections`,
 * `allowedOrigins`, `heartbeatIntervalMs`); the factories get the chat instead of the connection.
 */
export interface AISDKChatsOptions extends AgentOptions<ChatSessionContext>, SocketLimits {
  /**
   * Whether this request may use this chat id (send, resume or stop). Chat ids come from the
   * client: without this, anyone who knows one can read or stop that chat. Default: allow.
   */
  authorize?: (request: IncomingMessage, chatId: string) => Awaitable<boolean>;
  /**
   * Chats with a live AgentSession at most. A new chat past it closes the least recently used idle
   * chat; when every chat is answering (or starting), it is refused. Default 100.
   */
  maxChats?: number;
  /** A chat unused this long (no turn running) has its session closed. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** Largest request body or WebSocket frame, in bytes (it carries the whole chat). Default 1 MiB. */
  maxPayload?: number;
  /**
   * Where each turn's frames are kept for a resume (`createStreamingServer`'s option). Default: in
   * memory, 256 KiB per turn; a resume that finds the start gone ends with an error chunk.
   */
  frameLog?: FrameLog;
  /**
   * Shares which process runs each chat's turn (`RedisSessionStore`, with a `RedisFrameLog` on the
   * same Redis): a resume on another process replays the running turn and follows it live; if the
   * process running it died, the replay ends with an `error` chunk. Default: none.
   */
  sessionStore?: SessionStore;
}

export type ResolvedChatOptions = ResolvedAgentOptions<ChatSessionContext> &
  ResolvedSocketLimits &
  Required<Pick<AISDKChatsOptions, 'maxChats' | 'idleTimeoutMs' | 'maxPayload'>> &
  Pick<AISDKChatsOptions, 'authorize'> & { frameLog: FrameLog; sessionStore?: SessionStore };

const check = new OptionChecks('createAISDKChats');

export function resolveChatOptions(options: AISDKChatsOptions): ResolvedChatOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createAISDKChats: options must be an object; received ${String(options)}`);
  }
  const o = options as unknown as Record<string, unknown>;
  check.fn('authorize', o.authorize);
  return {
    ...resolveAgentOptions(check, options, 'livekit-streaming-text/ai-sdk'),
    ...resolveSocketLimits(check, options),
    authorize: options.authorize,
    maxChats: check.integer('maxChats', o.maxChats, 100, 1),
    idleTimeoutMs: check.milliseconds('idleTimeoutMs', o.idleTimeoutMs, 10 * 60_000),
    maxPayload: check.integer('maxPayload', o.maxPayload, 1024 * 1024, 1),
    // Each reply is one log entry, replayed from its start by a resume: kept whole (the last
    // turns, not only the newest 256 KiB), so a long reply's resume restates what the bound dropped.
    ...resolveStores(check, o, { keepTurns: true }),
  };
}
