import { randomUUID } from 'node:crypto';
import type { voice } from '@livekit/agents';
import type { UIMessage } from 'ai';
import type { StreamEvent } from '../events.js';
import { appendRestoredItems } from '../server/chat-context.js';
import { attachServerReader, createTextSession } from '../server/text-session.js';
import type { StreamReader } from '../stream-reader.js';
import type { StreamingTextOutput } from '../streaming-text-output.js';
import type { ChatSessionContext, ResolvedChatOptions } from './options.js';
import { chatItemsFrom } from './restore-context.js';
import { type PlayingTurn, playTurn } from './turn-frames.js';
import { TurnLog } from './turn-log.js';
import { UIChunkMapper } from './ui-chunks.js';

/**
 * One chat of the AI SDK client: its AgentSession, kept across requests and sockets, and the log
 * of its latest turn (for resume). One turn at a time, as the framework runs one `run()` at a time.
 */
export class ChatSession {
  private session: voice.AgentSession | undefined;
  private output: StreamingTextOutput<StreamEvent> | undefined;
  private reader: StreamReader | undefined;
  private playing: PlayingTurn | undefined;
  private closing = false;
  /** The latest turn; `undefined` before the first. */
  latest: TurnLog | undefined;
  /** When the chat was last used (`performance.now()`): for idle timeouts and eviction. */
  lastUsed = performance.now();
  readonly ready: Promise<void>;

  constructor(
    readonly id: string,
    private readonly options: ResolvedChatOptions,
    context: ChatSessionContext,
    history: readonly UIMessage[],
  ) {
    this.ready = this.open(context, history);
    // A failed start is reported to the request that asked; keep it from being unhandled meanwhile.
    this.ready.catch(() => undefined);
  }

  get isStreaming(): boolean {
    return this.playing !== undefined;
  }

  /** The latest turn while it is running, or until some client has read all of it. */
  get resumable(): TurnLog | undefined {
    const log = this.latest;
    return log !== undefined && (!log.isEnded || !log.delivered) ? log : undefined;
  }

  private async open(context: ChatSessionContext, history: readonly UIMessage[]): Promise<void> {
    const [agent, llm, extra] = await Promise.all([
      this.options.createAgent(context),
      this.options.createLLM?.(context),
      this.options.sessionOptions?.(context),
    ]);
    const items = chatItemsFrom(history);
    await appendRestoredItems(agent, items);
    if (this.closing) throw new Error('chat closed');
    const session = createTextSession(llm, extra);
    this.session = session;
    ({ output: this.output, reader: this.reader } = attachServerReader(session, this.options.bufferSize));
    await session.start({ agent });
  }

  /** Starts a turn for `message`. The caller has checked `isStreaming` and awaited `ready`. */
  send(message: string): TurnLog {
    if (this.playing !== undefined) throw new Error('a turn is already running');
    this.lastUsed = performance.now();
    const log = new TurnLog(`msg_${randomUUID()}`);
    this.latest = log;
    const mapper = new UIChunkMapper(log.messageId);
    log.push(mapper.start());
    const playing = playTurn(
      {
        session: this.session!,
        output: this.output!,
        reader: this.reader!,
        turnTimeoutMs: this.options.turnTimeoutMs,
        onError: this.options.onError,
      },
      message,
      (frame) => log.push(mapper.map(frame)),
      () => !this.closing,
    );
    this.playing = playing;
    void playing.done
      .catch((error) => this.options.onError(error, 'turn'))
      .finally(() => {
        // A turn cut short by closing the chat still ends its message for whoever listens.
        if (!mapper.isEnded) log.push(mapper.map({ type: 'result', events: [], interrupted: true }));
        log.end();
        this.playing = undefined;
        this.lastUsed = performance.now();
      });
    return log;
  }

  /** Stops the running turn's generation (the agent stops). False when nothing runs. */
  interrupt(): boolean {
    if (this.playing === undefined) return false;
    this.playing.interrupt();
    return true;
  }

  /** Stops the turn, closes the session. Never throws. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.playing?.abandon();
    this.output?.close();
    await this.ready.catch(() => undefined);
    await this.playing?.done.catch(() => undefined);
    try {
      await this.session?.close();
    } catch (error) {
      this.options.onError(error, 'session close');
    }
  }
}
