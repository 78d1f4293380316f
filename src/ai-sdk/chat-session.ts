import { randomUUID } from 'node:crypto';
import type { voice } from '@livekit/agents';
import type { UIMessage } from 'ai';
import type { StreamEvent } from '../core/events.js';
import type { StreamReader } from '../core/stream-reader.js';
import type { StreamingTextOutput } from '../core/streaming-text-output.js';
import { appendRestoredItems, dropFromUserTurn } from '../session/chat-context.js';
import { attachServerReader, createTextSession } from '../session/text-session.js';
import type { ChatTurn, ChatTurns } from './chat-turns.js';
import type { ChatSessionContext, ResolvedChatOptions } from './options.js';
import { chatItemsFrom } from './restore-context.js';
import { type PlayingTurn, playTurn } from './turn-frames.js';

/**
 * One chat of the AI SDK client: its AgentSession, kept across requests and sockets, and the log
 * of its latest turn (for resume). One turn at a time, as the framework runs one `run()` at a time.
 */
export class ChatSession {
  private session: voice.AgentSession | undefined;
  private agent: voice.Agent | undefined;
  private output: StreamingTextOutput<StreamEvent> | undefined;
  private reader: StreamReader | undefined;
  private playing: PlayingTurn | undefined;
  /** Settles once the running turn has ended and the chat is free again. */
  private turnOver: Promise<void> = Promise.resolve();
  private closing = false;
  /** The running turn was told to stop: a message now waits for it to wind down. */
  private stopping = false;
  /**
   * Requests between arriving and starting their turn (waiting for the session to start, or for a
   * stopped turn to wind down): a chat with any is not idle, so it is never evicted meanwhile.
   */
  claims = 0;
  /** A request has passed the busy check and is preparing its turn (regenerate trims context). */
  private reserved = false;
  /** The latest turn; `undefined` before the first. */
  latest: ChatTurn | undefined;
  /** Called when a turn has ended and no request is starting another: the chat is idle. */
  onIdle: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly id: string,
    private readonly options: ResolvedChatOptions,
    private readonly turns: ChatTurns,
    context: ChatSessionContext,
    history: readonly UIMessage[],
  ) {
    this.ready = this.open(context, history);
    // A failed start is reported to the request that asked; keep it from being unhandled meanwhile.
    this.ready.catch(() => undefined);
  }

  /** `close()` has been called: the chat has left its registry. */
  get isClosing(): boolean {
    return this.closing;
  }

  get isStreaming(): boolean {
    return this.playing !== undefined || this.reserved;
  }

  /** Answering, or about to: not idle, so neither evicted nor swept. */
  get isBusy(): boolean {
    return this.isStreaming || this.claims > 0;
  }

  /**
   * Resolves once a turn that was told to stop (`interrupt()`) has wound down; at once when none
   * runs. A turn that was not stopped is not waited for.
   */
  async stopped(): Promise<void> {
    while (this.playing !== undefined && this.stopping) await this.turnOver;
  }

  /**
   * Takes the chat for one new turn (the caller checked `isStreaming`): `prepare` runs first (a
   * regenerate trims the context), with the chat already busy for everyone else.
   */
  async begin(prepare: () => Promise<void>): Promise<void> {
    this.reserved = true;
    try {
      await prepare();
    } finally {
      this.reserved = false;
    }
  }

  /** Drops the answer a regenerate replaces: the `userTurn`-th user message on (see dropFromUserTurn). */
  forgetFrom(userTurn: number): Promise<void> {
    return this.agent === undefined ? Promise.resolve() : dropFromUserTurn(this.agent, userTurn);
  }

  /** The latest turn while it is running, or until some client has read all of it. */
  get resumable(): ChatTurn | undefined {
    const turn = this.latest;
    return turn !== undefined && (this.playing !== undefined || !turn.delivered) ? turn : undefined;
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
    this.agent = agent;
    ({ output: this.output, reader: this.reader } = attachServerReader(session, this.options.bufferSize));
    await session.start({ agent });
  }

  /** Starts a turn for `message`. The caller has checked `isStreaming` and awaited `ready`. */
  send(message: string): ChatTurn {
    if (this.playing !== undefined) throw new Error('a turn is already running');
    const writer = this.turns.begin(this.id, `msg_${randomUUID()}`, this.latest);
    this.latest = writer.turn;
    let ended = false;
    const playing = playTurn(
      {
        session: this.session!,
        output: this.output!,
        reader: this.reader!,
        turnTimeoutMs: this.options.turnTimeoutMs,
        onError: this.options.onError,
      },
      message,
      (frame) => {
        if (ended) return;
        writer.write(frame);
        ended = frame.type === 'result' || frame.type === 'error';
      },
      () => !this.closing,
    );
    this.playing = playing;
    this.stopping = false;
    this.turnOver = playing.done
      .catch((error) => this.options.onError(error, 'turn'))
      .finally(() => {
        // A turn cut short by closing the chat still ends its message for whoever listens.
        if (!ended) writer.write({ type: 'result', events: [], interrupted: true });
        writer.close();
        if (this.playing === playing) this.playing = undefined;
        this.stopping = false;
        if (!this.isBusy) this.onIdle?.();
      });
    return writer.turn;
  }

  /** Stops the running turn's generation (the agent stops). False when nothing runs. */
  interrupt(): boolean {
    if (this.playing === undefined) return false;
    this.stopping = true;
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
