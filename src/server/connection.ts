import { voice } from '@livekit/agents';
import type { RawData, WebSocket } from 'ws';
import { clientWantsAccumulated } from '../negotiation.js';
import { type ClientFrame, type ErrorCode, errorFrame, type Parsed, parseClientFrame } from '../protocol.js';
import type { StreamReader } from '../stream-reader.js';
import { StreamingTextOutput } from '../streaming-text-output.js';
import { EventFramer } from './event-frames.js';
import { FrameSender } from './frame-sender.js';
import type { ConnectionContext, ResolvedOptions } from './options.js';
import { RateLimiter } from './rate-limiter.js';
import { Turn } from './turn.js';

export interface ConnectionHooks {
  sessionOpened(): void;
  sessionClosed(): void;
}

interface QueuedMessage {
  message: string;
  id: string | undefined;
}

/**
 * One client: its AgentSession, its queue of messages (answered one run at a time, in order),
 * and its send path. Everything it opens, it closes when the socket goes.
 */
export class Connection {
  /** Heartbeat: set by each pong, cleared by each ping. */
  alive = true;
  private readonly sender: FrameSender;
  private readonly limiter: RateLimiter | undefined;
  private readonly sendAccumulated: boolean | number;
  private readonly queue: QueuedMessage[] = [];
  private session: voice.AgentSession | undefined;
  private output: StreamingTextOutput | undefined;
  private reader: StreamReader | undefined;
  private current: Turn | undefined;
  private answering: Promise<void> | undefined;
  private ready = false;
  private closing = false;
  readonly closed: Promise<void>;

  constructor(
    readonly socket: WebSocket,
    private readonly context: ConnectionContext,
    private readonly options: ResolvedOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    this.sender = new FrameSender(socket, options.highWaterMark);
    // Our client rebuilds `accumulated` itself and says so when it connects (`?accumulated=0`).
    this.sendAccumulated = clientWantsAccumulated(context.request.url) ? options.sendAccumulated : false;
    this.limiter = options.rateLimit
      ? new RateLimiter(options.rateLimit.burst, options.rateLimit.perSecond)
      : undefined;
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    // A socket error is always followed by 'close'; listening keeps it from being thrown.
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    this.closed = closed.then(() => this.shutdown());
    void this.open();
  }

  private async open(): Promise<void> {
    const ctx = this.context;
    try {
      const [agent, llm, extra] = await Promise.all([
        this.options.createAgent(ctx),
        this.options.createLLM?.(ctx),
        this.options.sessionOptions?.(ctx),
      ]);
      if (this.closing) return;
      // No "user away" timer by default: a text client is not a microphone, and the framework's
      // timer outlives session.close() by up to 15 s. `sessionOptions` can turn it back on.
      const session = new voice.AgentSession({ userAwayTimeout: null, ...extra, ...(llm ? { llm } : {}) });
      this.session = session;
      this.hooks.sessionOpened();
      // The server reads with subscribe() only: no backlog for stream() readers. Tool steps go
      // through the same reader as the text, so their frames keep their true order.
      this.output = StreamingTextOutput.attach(session, {
        bufferSize: this.options.bufferSize,
        backlogSize: 0,
        toolSteps: true,
      });
      this.reader = this.output.subscribe();
      await session.start({ agent });
    } catch (error) {
      this.options.onError(error, 'session start');
      this.sendError('session_failed');
      this.socket.close(1011, 'session failed');
      return;
    }
    if (this.closing) return;
    this.ready = true;
    this.sender.send({ type: 'ready', message: this.options.readyMessage });
    this.answerQueued();
  }

  private receive(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    // Parsed before the rate limit, so a refused message still gets its id echoed: every message
    // that carries an id gets exactly one terminal frame with it (an `ask()` never hangs).
    const parsed = isBinary ? undefined : parseClientFrame(data.toString());
    if (this.limiter && !this.limiter.tryTake()) {
      this.sendError('rate_limited', parsed === undefined ? undefined : idOf(parsed));
      return;
    }
    if (parsed === undefined) {
      this.sendError('binary_frame');
      return;
    }
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.id);
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'interrupt') {
      if (this.current) this.current.interrupt();
      else this.sendError('nothing_to_interrupt');
      return;
    }
    const waiting = this.queue.length + (this.current ? 1 : 0);
    // The message being answered does not count against the queue.
    if (waiting > this.options.maxQueuedMessages) {
      this.sendError('busy', frame.id);
      return;
    }
    this.queue.push({ message: frame.message, id: frame.id });
    this.answerQueued();
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
          sender: this.sender,
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
      }
    }
  }

  private sendError(code: ErrorCode, id?: string): void {
    this.sender.send(errorFrame(code, id));
  }

  /** The socket is gone: stop the run, end the reader, close the session. Never throws. */
  private async shutdown(): Promise<void> {
    this.closing = true;
    this.queue.length = 0;
    this.current?.abandon();
    this.output?.close();
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

function idOf(parsed: Parsed<ClientFrame>): string | undefined {
  if (!parsed.ok) return parsed.id;
  return parsed.frame.type === 'message' ? parsed.frame.id : undefined;
}
