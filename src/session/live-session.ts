import { randomUUID } from 'node:crypto';
import { llm, type voice } from '@livekit/agents';
import type { StreamEvent } from '../core/events.js';
import type { StreamReader } from '../core/stream-reader.js';
import type { StreamingTextOutput } from '../core/streaming-text-output.js';
import type { ErrorCode } from '../protocol/frames.js';
import { clientWantsAccumulated } from '../protocol/negotiation.js';
import { SessionChannel } from './channel.js';
import { appendRestoredItems } from './chat-context.js';
import { EventFramer } from './event-frames.js';
import type { FrameLog } from './frame-log.js';
import type { ConnectionContext, ResolvedOptions } from './options.js';
import type { ConversationRecord } from './store.js';
import { attachServerReader, createTextSession } from './text-session.js';
import { Turn } from './turn.js';

/** Message ids a resumable session remembers, to answer each once. */
const SEEN_IDS_KEPT = 1024;

interface QueuedMessage {
  message: string;
  id: string | undefined;
}

export interface LiveSessionHooks {
  sessionOpened(): void;
  sessionClosed(): void;
  /** Each message accepted and each turn's outcome, for another process to rebuild from. */
  record?(sessionId: string, entry: ConversationRecord): void;
}

/**
 * A session rebuilt from elsewhere: another process's records (its conversation, and where its
 * seqs were), or the chat items a client's transcript gave (`transcriptChatItems`).
 */
export interface Restored {
  conversation: readonly ConversationRecord[];
  /** The last seq the old session sent: this one goes on from there. */
  seq: number;
  /** Chat items to start from, after `conversation`'s. */
  items?: llm.ChatItem[];
}

/**
 * One conversation: its AgentSession, its queue of messages (answered one run at a time, in
 * order), and its channel out. It outlives the connection that opened it when resuming is on: a
 * connection attaches to it, and may go and come back while a turn keeps running.
 */
export class LiveSession {
  /** Random, not the resume token: it names the session in the log and may appear in logs. */
  readonly id = randomUUID();
  readonly channel: SessionChannel;
  /** The connection attached now: only it may detach the session. */
  holder: object | undefined;
  /** Closes the holder's socket when another connection resumes this session. */
  evict: (() => void) | undefined;
  /** The registry key (the token's hash), once registered. */
  key: string | undefined;
  private readonly queue: QueuedMessage[] = [];
  private session: voice.AgentSession | undefined;
  private output: StreamingTextOutput<StreamEvent> | undefined;
  private reader: StreamReader | undefined;
  private current: Turn | undefined;
  private answering: Promise<void> | undefined;
  private ready = false;
  /** The message ids this session took, each with whether its turn has ended (bounded, oldest out). */
  private readonly seenIds = new Map<string, boolean>();
  /** Our client rebuilds `accumulated` itself and says so when it connects (`?accumulated=0`). */
  private readonly sendAccumulated: boolean | number;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly context: ConnectionContext,
    private readonly options: ResolvedOptions,
    private readonly hooks: LiveSessionHooks,
    log: FrameLog | undefined,
    private readonly restored?: Restored,
  ) {
    this.channel = new SessionChannel(log, this.id);
    this.sendAccumulated = clientWantsAccumulated(context.request.url) ? options.sendAccumulated : false;
    if (restored !== undefined) {
      this.channel.continueFrom(restored.seq);
      for (const entry of restored.conversation) {
        if (entry.id !== undefined)
          this.seenIds.set(entry.id, entry.kind === 'outcome' || this.seenIds.get(entry.id) === true);
      }
    }
    const record = hooks.record;
    if (record !== undefined) {
      this.channel.onOutcome = (frame) => {
        const text =
          frame.type === 'result'
            ? frame.events
                .map((e) => (e.type === 'message' && e.role === 'assistant' ? e.content : ''))
                .filter(Boolean)
                .join('\n')
            : '';
        record(
          this.id,
          frame.id === undefined ? { kind: 'outcome', text } : { kind: 'outcome', id: frame.id, text },
        );
      };
    }
  }

  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Starts the AgentSession; false (reported to `onError`) when it could not. `onReady` runs once
   * it has started, before the first queued message is answered.
   */
  async open(onReady: () => void): Promise<boolean> {
    const ctx = this.context;
    try {
      const [agent, llm, extra] = await Promise.all([
        this.options.createAgent(ctx),
        this.options.createLLM?.(ctx),
        this.options.sessionOptions?.(ctx),
      ]);
      if (this.closing) return false;
      if (this.restored !== undefined)
        await restoreConversation(agent, this.restored.conversation, this.restored.items ?? []);
      if (this.closing) return false;
      const session = createTextSession(llm, extra);
      this.session = session;
      this.hooks.sessionOpened();
      ({ output: this.output, reader: this.reader } = attachServerReader(session, this.options.bufferSize));
      await session.start({ agent });
    } catch (error) {
      this.options.onError(error, 'session start');
      return false;
    }
    if (this.closing) return false;
    this.ready = true;
    onReady();
    this.answerQueued();
    return true;
  }

  /**
   * Queues a message; `busy` when too many are waiting. A resumable session answers each id once:
   * a client that resumes sends again what it has no answer for, so an id whose turn is still
   * going is dropped (that turn answers it), and one whose turn has ended is `duplicate_id` (its
   * answer was sent; a client that resent it has it by now, from the replay before).
   */
  enqueue(message: string, id: string | undefined): ErrorCode | undefined {
    const keepsIds = id !== undefined && this.channel.numbered;
    if (keepsIds) {
      const ended = this.seenIds.get(id);
      if (ended !== undefined) return ended ? 'duplicate_id' : undefined;
    }
    const waiting = this.queue.length + (this.current ? 1 : 0);
    // The message being answered does not count against the queue. A refused one is not taken:
    // the same id may come again.
    if (waiting > this.options.maxQueuedMessages) return 'busy';
    if (keepsIds) {
      this.seenIds.set(id, false);
      // Bounded: the oldest ids go first (a Map iterates in insertion order).
      if (this.seenIds.size > SEEN_IDS_KEPT) this.seenIds.delete(this.seenIds.keys().next().value!);
    }
    this.queue.push({ message, id });
    this.hooks.record?.(
      this.id,
      id === undefined ? { kind: 'input', text: message } : { kind: 'input', id, text: message },
    );
    this.answerQueued();
    return undefined;
  }

  /** Stops the generation in progress; false when nothing is being answered. */
  interrupt(): boolean {
    if (!this.current) return false;
    this.current.interrupt();
    return true;
  }

  /** Its connection went; with `onDisconnect: 'interrupt'` the turn in progress stops. */
  detached(): void {
    if (this.options.onDisconnect === 'interrupt') this.current?.interrupt();
  }

  private answerQueued(): void {
    if (!this.ready || this.answering !== undefined || this.closing) return;
    this.answering = this.answerAll().finally(() => {
      this.answering = undefined;
    });
  }

  private async answerAll(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined && !this.closing; next = this.queue.shift()) {
      const turn = new Turn(
        {
          session: this.session!,
          output: this.output!,
          reader: this.reader!,
          sender: this.channel,
          framer: new EventFramer(this.sendAccumulated, this.options.accumulatedBudget),
          turnTimeoutMs: this.options.turnTimeoutMs,
          onError: this.options.onError,
        },
        next.message,
        next.id,
      );
      this.current = turn;
      try {
        await turn.answer();
      } catch (error) {
        this.options.onError(error, 'turn');
      } finally {
        this.current = undefined;
        if (next.id !== undefined && this.seenIds.has(next.id)) this.seenIds.set(next.id, true);
      }
    }
  }

  /** Stops the run, ends the reader, closes the AgentSession. Never throws; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.queue.length = 0;
    this.current?.abandon();
    this.output?.close();
    this.channel.close();
    try {
      await this.answering;
    } catch {
      // already reported by answerAll
    }
    const session = this.session;
    if (session === undefined) return;
    try {
      await session.close();
    } catch (error) {
      this.options.onError(error, 'session close');
    } finally {
      this.hooks.sessionClosed();
    }
  }
}

/**
 * Puts a conversation another process had into a new agent's chat context: each message and the
 * assistant text that answered it, oldest first, before anything this session adds.
 */
async function restoreConversation(
  agent: voice.Agent,
  conversation: readonly ConversationRecord[],
  more: llm.ChatItem[],
): Promise<void> {
  const items: llm.ChatItem[] = [];
  for (const entry of conversation) {
    if (entry.text === '') continue;
    const role = entry.kind === 'input' ? 'user' : 'assistant';
    items.push(llm.ChatMessage.create({ role, content: entry.text }));
  }
  await appendRestoredItems(agent, [...items, ...more]);
}
