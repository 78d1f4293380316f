import type { IncomingMessage } from 'node:http';
import type { UIMessage } from 'ai';
import { ChatSession } from './chat-session.js';
import type { ResolvedChatOptions } from './options.js';
import { messageText } from './restore-context.js';
import type { TurnLog } from './turn-log.js';

export type StartResult = { ok: true; log: TurnLog } | { ok: false; status: number; errorText: string };

export const CHAT_ERRORS = {
  regenerate: 'regenerate-message is not supported yet: send a new message instead',
  noUserMessage: 'the last message must be a user message with text',
  forbidden: 'this chat is not yours',
  tooManyChats: 'too many chats are answering right now; try again later',
  busy: 'this chat is already answering a message; stop it or wait',
  sessionFailed: 'the agent session could not start',
} as const;

/**
 * The live chats of this process, by the AI SDK client's chat id: one AgentSession per chat,
 * reused across requests and sockets, at most `maxChats` of them, each closed after
 * `idleTimeoutMs` without a turn. A chat id this process has no session for gets a new session
 * whose chat context is restored from the messages the client sent.
 *
 * (A small registry of its own: the generic session registry of issue 13 had not landed yet.)
 */
export class ChatRegistry {
  private readonly chats = new Map<string, ChatSession>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: ResolvedChatOptions) {
    const every = Math.min(Math.max(options.idleTimeoutMs / 4, 5), 30_000);
    this.sweeper = setInterval(() => this.closeIdle(), every);
    this.sweeper.unref();
  }

  get size(): number {
    return this.chats.size;
  }

  async authorize(request: IncomingMessage, chatId: string): Promise<boolean> {
    if (this.options.authorize === undefined) return true;
    try {
      return (await this.options.authorize(request, chatId)) === true;
    } catch (error) {
      this.options.onError(error, 'authorize');
      return false;
    }
  }

  /** Starts a turn answering the last of `messages` (the caller has authorized the request). */
  async start(
    request: IncomingMessage,
    chatId: string,
    trigger: string,
    messages: readonly UIMessage[],
  ): Promise<StartResult> {
    if (this.closed) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    if (trigger === 'regenerate-message')
      return { ok: false, status: 400, errorText: CHAT_ERRORS.regenerate };
    const last = messages.at(-1);
    const text = last?.role === 'user' ? messageText(last) : '';
    if (text.trim() === '') return { ok: false, status: 400, errorText: CHAT_ERRORS.noUserMessage };

    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      if (!this.makeRoom()) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
      chat = new ChatSession(chatId, this.options, { chatId, request }, messages.slice(0, -1));
      this.chats.set(chatId, chat);
    }
    chat.lastUsed = performance.now();
    try {
      await chat.ready;
    } catch (error) {
      if (this.chats.get(chatId) === chat) {
        this.options.onError(error, 'session start');
        this.chats.delete(chatId);
        void chat.close();
      }
      return { ok: false, status: 500, errorText: CHAT_ERRORS.sessionFailed };
    }
    if (this.chats.get(chatId) !== chat)
      return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    if (chat.isStreaming) return { ok: false, status: 409, errorText: CHAT_ERRORS.busy };
    return { ok: true, log: chat.send(text) };
  }

  /** The chat's turn to replay for a resume, if any. */
  resumable(chatId: string): TurnLog | undefined {
    return this.chats.get(chatId)?.resumable;
  }

  /** Stops the chat's running turn: the agent stops generating. False when nothing runs. */
  stop(chatId: string): boolean {
    return this.chats.get(chatId)?.interrupt() ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.chats.values()];
    this.chats.clear();
    await Promise.all(all.map((chat) => chat.close()));
  }

  /** Frees a slot for a new chat: the least recently used idle one goes. False when all are busy. */
  private makeRoom(): boolean {
    if (this.chats.size < this.options.maxChats) return true;
    let oldest: ChatSession | undefined;
    for (const chat of this.chats.values()) {
      if (chat.isStreaming) continue;
      if (oldest === undefined || chat.lastUsed < oldest.lastUsed) oldest = chat;
    }
    if (oldest === undefined) return false;
    this.evict(oldest);
    return true;
  }

  private closeIdle(): void {
    const now = performance.now();
    for (const chat of [...this.chats.values()]) {
      if (!chat.isStreaming && now - chat.lastUsed >= this.options.idleTimeoutMs) this.evict(chat);
    }
  }

  private evict(chat: ChatSession): void {
    this.chats.delete(chat.id);
    void chat.close();
  }
}
