import type { IncomingMessage } from 'node:http';
import type { UIMessage } from 'ai';
import { askApp } from '../gate/index.js';
import { ChatSession } from './chat-session.js';
import type { ResolvedChatOptions } from './options.js';
import { messageText } from './restore-context.js';
import type { TurnLog } from './turn-log.js';

export type StartResult = { ok: true; log: TurnLog } | { ok: false; status: number; errorText: string };

export const CHAT_ERRORS = {
  trigger: 'unknown trigger: expected submit-message or regenerate-message',
  aborted: 'the request was aborted before its turn started',
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

  /** The app's `authorize`, through the gate: a throw or a timeout (`authenticateTimeoutMs`) refuses. */
  async authorize(request: IncomingMessage, chatId: string): Promise<boolean> {
    const authorize = this.options.authorize;
    if (authorize === undefined) return true;
    const answer = await askApp(() => authorize(request, chatId), {
      where: 'authorize',
      timeoutMs: this.options.authenticateTimeoutMs,
      onError: this.options.onError,
    });
    return answer.ok && answer.value === true;
  }

  /**
   * Starts a turn answering the last of `messages` (the caller has authorized the request).
   * `trigger` is the AI SDK's: `submit-message`, or `regenerate-message` (the client has dropped the
   * answer it replaces, so `messages` ends with the user message to answer again; the agent's
   * context drops that answer too). A turn that was stopped is waited for, not refused. `isWanted`
   * is asked right before the turn starts: false (the client aborted meanwhile) starts nothing.
   */
  async start(
    request: IncomingMessage,
    chatId: string,
    trigger: string,
    messages: readonly UIMessage[],
    isWanted: () => boolean = () => true,
  ): Promise<StartResult> {
    if (this.closed) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    if (trigger !== 'submit-message' && trigger !== 'regenerate-message')
      return { ok: false, status: 400, errorText: CHAT_ERRORS.trigger };
    const last = messages.at(-1);
    const text = last?.role === 'user' ? messageText(last) : '';
    if (text.trim() === '') return { ok: false, status: 400, errorText: CHAT_ERRORS.noUserMessage };

    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      if (!this.makeRoom()) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
      // A new session's context is the client's messages: a regenerated answer is already gone.
      chat = new ChatSession(chatId, this.options, { chatId, request }, messages.slice(0, -1));
      this.chats.set(chatId, chat);
    }
    chat.lastUsed = performance.now();
    // Until its turn starts (or it is refused) this request holds the chat: not idle, not evicted.
    chat.claims++;
    try {
      return await this.startOn(chat, trigger, messages, text, isWanted);
    } finally {
      chat.claims--;
    }
  }

  private async startOn(
    chat: ChatSession,
    trigger: string,
    messages: readonly UIMessage[],
    text: string,
    isWanted: () => boolean,
  ): Promise<StartResult> {
    try {
      await chat.ready;
    } catch (error) {
      if (this.chats.get(chat.id) === chat) {
        this.options.onError(error, 'session start');
        this.chats.delete(chat.id);
        void chat.close();
      }
      return { ok: false, status: 500, errorText: CHAT_ERRORS.sessionFailed };
    }
    // The client already holds the running turn's message as history (it stopped reading it, and
    // its stop may still be on the way, on another connection): that turn is over for it.
    const running = chat.latest;
    if (
      chat.isStreaming &&
      running !== undefined &&
      messages.some((m) => m.role === 'assistant' && m.id === running.messageId)
    )
      chat.interrupt();
    // A stopped turn is winding down: the message waits for it instead of being refused.
    await chat.stopped();
    if (this.chats.get(chat.id) !== chat)
      return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    if (chat.isStreaming) return { ok: false, status: 409, errorText: CHAT_ERRORS.busy };
    if (!isWanted()) return { ok: false, status: 499, errorText: CHAT_ERRORS.aborted };
    await chat.begin(async () => {
      if (trigger === 'regenerate-message') await chat.forgetFrom(userTurns(messages));
    });
    if (this.chats.get(chat.id) !== chat)
      return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
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
      if (chat.isBusy) continue;
      if (oldest === undefined || chat.lastUsed < oldest.lastUsed) oldest = chat;
    }
    if (oldest === undefined) return false;
    this.evict(oldest);
    return true;
  }

  private closeIdle(): void {
    const now = performance.now();
    for (const chat of [...this.chats.values()]) {
      if (!chat.isBusy && now - chat.lastUsed >= this.options.idleTimeoutMs) this.evict(chat);
    }
  }

  private evict(chat: ChatSession): void {
    this.chats.delete(chat.id);
    void chat.close();
  }
}

/** How many user messages `messages` holds: the last one is the turn a regenerate answers again. */
function userTurns(messages: readonly UIMessage[]): number {
  return messages.filter((m) => m.role === 'user').length;
}
