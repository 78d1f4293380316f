import type { IncomingMessage } from 'node:http';
import type { UIMessage } from 'ai';
import { askApp } from '../gate/index.js';
import { SessionRegistry } from '../session/registry.js';
import { ChatSession } from './chat-session.js';
import { type ChatTurn, ChatTurns } from './chat-turns.js';
import type { ResolvedChatOptions } from './options.js';
import { messageText } from './restore-context.js';

export type StartResult = { ok: true; turn: ChatTurn } | { ok: false; status: number; errorText: string };

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
 * The chats are sessions of the server's one `SessionRegistry`, keyed by chat id: a chat is
 * attached while it answers (or a request is starting its turn), detached while idle. So the
 * registry's rules are the chats' rules: an idle chat expires after its window (`idleTimeoutMs`),
 * a new chat past `maxChats` evicts the chat idle longest, and is refused while every chat is busy.
 */
export class ChatRegistry {
  private readonly chats: SessionRegistry<ChatSession>;
  /** Every chat's turns, in the one frame log (and, with a session store, findable by other processes). */
  readonly turns: ChatTurns;
  /** The session store's lease: other processes see this one alive while it holds it. */
  private readonly storeStarted: Promise<void>;
  private closed = false;

  constructor(private readonly options: ResolvedChatOptions) {
    this.chats = new SessionRegistry<ChatSession>({
      windowMs: options.idleTimeoutMs,
      maxSessions: options.maxChats,
      // Expired (idle for the window) or evicted (room for a new chat): its session closes.
      onExpire: (chat) => void chat.close(),
    });
    const store = options.sessionStore;
    this.turns = new ChatTurns(options.frameLog, store, options.idleTimeoutMs, options.onError);
    // Chats are not handed over between processes (the turn runs where it started), so a
    // takeover request is ignored; the lease only says this process is alive.
    this.storeStarted = (store?.start(() => undefined) ?? Promise.resolve()).catch((error) =>
      options.onError(error, 'session store'),
    );
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

    // Claimed (attached), the chat is busy: neither evicted nor expired until it is idle again.
    let chat = this.chats.claim(chatId);
    if (chat === undefined) {
      // A new session's context is the client's messages: a regenerated answer is already gone.
      const created = new ChatSession(
        chatId,
        this.options,
        this.turns,
        { chatId, request },
        messages.slice(0, -1),
      );
      if (!this.chats.add(chatId, created)) {
        void created.close();
        return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
      }
      created.onIdle = () => this.release(created);
      chat = created;
    }
    // Until its turn starts (or it is refused) this request holds the chat.
    chat.claims++;
    try {
      return await this.startOn(chat, trigger, messages, text, isWanted);
    } finally {
      chat.claims--;
      this.release(chat);
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
      if (this.holds(chat)) {
        this.options.onError(error, 'session start');
        this.chats.delete(chat.id);
        chat.close();
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
    if (!this.holds(chat)) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    if (chat.isStreaming) return { ok: false, status: 409, errorText: CHAT_ERRORS.busy };
    if (!isWanted()) return { ok: false, status: 499, errorText: CHAT_ERRORS.aborted };
    await chat.begin(async () => {
      if (trigger === 'regenerate-message') await chat.forgetFrom(userTurns(messages));
    });
    if (!this.holds(chat)) return { ok: false, status: 503, errorText: CHAT_ERRORS.tooManyChats };
    return { ok: true, turn: chat.send(text) };
  }

  /**
   * The chat's turn to replay for a resume, if any: this process's own, or (with a session store)
   * the one another process is running or was running when it died. A resume counts as use: the
   * idle window restarts.
   */
  async resumable(chatId: string): Promise<ChatTurn | undefined> {
    let held = false;
    const here = this.use(chatId, (chat) => {
      held = true;
      return chat.resumable;
    });
    if (held) return here;
    await this.storeStarted;
    return this.turns.find(chatId);
  }

  /** Stops the chat's running turn: the agent stops generating. False when nothing runs. */
  stop(chatId: string): boolean {
    return this.use(chatId, (chat) => chat.interrupt()) ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.chats.clear().map((chat) => chat.close()));
    await this.storeStarted;
    await this.options.sessionStore?.stop();
  }

  /** Runs `action` on the chat under `chatId`, if any, then lets it go idle again if it is. */
  private use<T>(chatId: string, action: (chat: ChatSession) => T): T | undefined {
    const chat = this.chats.claim(chatId);
    if (chat === undefined) return undefined;
    try {
      return action(chat);
    } finally {
      this.release(chat);
    }
  }

  /** An idle chat (no turn, no request starting one) is detached: its idle window starts. */
  private release(chat: ChatSession): void {
    if (!chat.isBusy && this.holds(chat)) this.chats.detach(chat.id);
  }

  /** Whether this registry still has `chat` (not closed, evicted or failed meanwhile). */
  private holds(chat: ChatSession): boolean {
    return !this.closed && !chat.isClosing;
  }
}

/** How many user messages `messages` holds: the last one is the turn a regenerate answers again. */
function userTurns(messages: readonly UIMessage[]): number {
  return messages.filter((m) => m.role === 'user').length;
}
