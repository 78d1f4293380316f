import type { RawData, WebSocket } from 'ws';
import { watchPongs } from '../gate/heartbeat.js';
import {
  CLOSE_CODES,
  type ClientFrame,
  type ErrorCode,
  errorFrame,
  type Parsed,
  parseClientFrame,
  type ReadyFrame,
  type ResumeFrame,
} from '../protocol/frames.js';
import { askedCoalesceMs } from '../protocol/negotiation.js';
import { transcriptChatItems } from '../session/chat-context.js';
import { FrameSender } from '../session/frame-sender.js';
import { identityOf, type Recovered, type SessionHost } from '../session/host.js';
import type { LiveSession, Restored } from '../session/live-session.js';
import type { ConnectionContext, ResolvedOptions } from '../session/options.js';
import { RateLimiter } from './rate-limiter.js';

const LATE_RESUME =
  'a `resume` frame is only valid as the first frame of a connection opened with `?resume=1`';

/** How long a connection opened with `?resume=1` may take to send its `resume` frame. */
const RESUME_HANDSHAKE_MS = 10_000;

/**
 * One client's socket: it reads and checks frames, and attaches to a session. A fresh connection
 * opens a session; one opened with `?resume=1` first waits for a `resume` frame, and attaches to
 * the session its token names, which then replays what the client missed.
 */
export class Connection {
  /** Heartbeat: set by each pong, cleared by each ping. */
  alive = true;
  private readonly sender: FrameSender;
  private readonly limiter: RateLimiter | undefined;
  private session: LiveSession | undefined;
  /** Waiting for the `resume` frame of a resuming connection. */
  private awaitingResume: boolean;
  private resumeTimer: NodeJS.Timeout | undefined;
  private closing = false;
  /** Frames that came while a resume from the shared store was under way. */
  private readonly backlog: Array<Exclude<ClientFrame, ResumeFrame>> = [];
  readonly closed: Promise<void>;

  constructor(
    readonly socket: WebSocket,
    private readonly context: ConnectionContext,
    private readonly options: ResolvedOptions,
    private readonly host: SessionHost,
    wantsResume: boolean,
  ) {
    this.sender = new FrameSender(socket, options.highWaterMark, {
      transport: context.request.socket,
      // The longer of the server's window and the one this client asked for (`?coalesceMs=`).
      coalesceMs: Math.max(options.coalesceMs, askedCoalesceMs(context.request.url)),
    });
    this.limiter = options.rateLimit
      ? new RateLimiter(options.rateLimit.burst, options.rateLimit.perSecond)
      : undefined;
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    watchPongs(this);
    // A socket error is always followed by 'close'; listening keeps it from being thrown.
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    this.closed = closed.then(() => this.shutdown());
    this.awaitingResume = wantsResume && host.resumable;
    if (this.awaitingResume) {
      this.resumeTimer = setTimeout(() => {
        this.sendError('resume_required');
        socket.close(CLOSE_CODES.policyViolation, 'resume frame expected');
      }, RESUME_HANDSHAKE_MS);
    } else void this.openFresh();
  }

  private async openFresh(restored?: Restored): Promise<void> {
    const session = this.host.create(this.context, this, restored);
    this.session = session;
    this.holdOn(session);
    // `ready` goes out, and the channel attaches, before the first queued message is answered.
    const opened = await session.open(() => {
      if (this.closing) return;
      const ready: ReadyFrame = {
        type: 'ready',
        message: this.options.readyMessage,
        maxPayload: this.options.maxPayload,
      };
      if (restored !== undefined) ready.restored = true;
      const token = this.host.register(session, identityOf(this.options, this.context));
      if (token !== undefined) ready.token = token;
      this.sender.send(ready);
      session.channel.attach(this.sender);
    });
    if (!opened && !this.closing) {
      this.sendError('session_failed');
      this.socket.close(CLOSE_CODES.internalError, 'session failed');
    }
  }

  /** Sends what waits in this socket's delivery window now (before a close the server makes). */
  flush(): void {
    this.sender.flush();
  }

  /** A client that resumes on another socket while this one still looks open takes over from it. */
  private holdOn(session: LiveSession): void {
    session.evict = () => this.socket.close(CLOSE_CODES.normal, 'resumed on another connection');
  }

  private resume(frame: ResumeFrame): void {
    const identity = identityOf(this.options, this.context);
    const ready: ReadyFrame = {
      type: 'ready',
      message: this.options.readyMessage,
      token: frame.token,
      resumed: true,
      maxPayload: this.options.maxPayload,
    };
    const session = this.host.claim(frame.token, identity, this);
    if (session !== undefined) {
      this.session = session;
      this.holdOn(session);
      void session.channel.resume(this.sender, frame.seq, ready);
      return;
    }
    void this.recover(frame, identity, ready);
  }

  /** Not a session of this process: another one's, from the shared store, or expired. */
  private async recover(frame: ResumeFrame, identity: string | undefined, ready: ReadyFrame): Promise<void> {
    let recovered: Recovered | undefined;
    try {
      recovered = await this.host.recover(
        frame.token,
        identity,
        this,
        frame.seq,
        this.context,
        this.sender,
        ready,
      );
    } catch (error) {
      this.options.onError(error, 'resume from the session store');
    }
    const session = recovered?.session;
    if (this.closing) {
      if (session !== undefined) {
        session.channel.detach(this.sender);
        this.host.release(session, this);
      }
      return;
    }
    if (session === undefined) {
      // Unknown, expired or someone else's token: one answer for all three. A client that sent
      // its transcript gets a session that starts from it, where the server restores chats.
      const restore = this.options.restoreTranscript;
      if (restore && frame.transcript !== undefined) {
        void this.openFresh({
          conversation: [],
          seq: 0,
          items: transcriptChatItems(frame.transcript, restore.maxItems),
        });
        return;
      }
      this.sender.send(errorFrame('session_expired'));
      void this.openFresh();
      return;
    }
    this.session = session;
    this.holdOn(session);
    for (const waiting of this.backlog.splice(0)) this.handle(waiting);
    if (recovered!.running) return;
    if (!(await session.open(() => undefined)) && !this.closing) {
      this.sendError('session_failed');
      this.socket.close(CLOSE_CODES.internalError, 'session failed');
    }
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
      this.sendError(parsed.code, parsed.id, parsed.message);
      return;
    }
    const frame = parsed.frame;
    if (this.awaitingResume) {
      this.awaitingResume = false;
      clearTimeout(this.resumeTimer);
      if (frame.type === 'resume') {
        this.resume(frame);
        return;
      }
      // Not a resume after all: a fresh session, and this frame is its first.
      void this.openFresh();
    }
    if (frame.type === 'resume') {
      // Too late to resume on this connection: it already has its session. Answered on this socket
      // only, unnumbered and not logged: in the session's log it would be replayed to every later
      // resume, and `session_expired` would promise a fresh session that is not coming.
      this.sender.send(errorFrame('unknown_type', undefined, LATE_RESUME));
      return;
    }
    this.handle(frame);
  }

  private handle(frame: Exclude<ClientFrame, ResumeFrame>): void {
    const session = this.session;
    if (session === undefined) {
      // A resume from the shared store is under way: its session answers these next.
      this.backlog.push(frame);
      return;
    }
    if (frame.type === 'interrupt') {
      if (!session.interrupt()) this.sendError('nothing_to_interrupt');
      return;
    }
    const refused = session.enqueue(frame.message, frame.id);
    // A reused id is this socket's mistake, not a turn of the session: not numbered, not logged.
    if (refused === 'duplicate_id') this.sender.send(errorFrame(refused, frame.id));
    else if (refused !== undefined) this.sendError(refused, frame.id);
  }

  /** Numbered through the session when there is one, so a resuming client sees it too. */
  private sendError(code: ErrorCode, id?: string, message?: string): void {
    const frame = errorFrame(code, id, message);
    const channel = this.session?.channel;
    if (channel?.isAttached && this.session?.holder === this) channel.send(frame);
    else this.sender.send(frame);
  }

  /** The socket is gone: the session waits for its client to come back, or closes. Never throws. */
  private async shutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.resumeTimer);
    const session = this.session;
    if (session === undefined) return;
    session.channel.detach(this.sender);
    this.host.release(session, this);
    // Without resuming, the connection's close waits for its session's, as before.
    if (!this.host.resumable) await session.close();
  }
}

function idOf(parsed: Parsed<ClientFrame>): string | undefined {
  if (!parsed.ok) return parsed.id;
  return parsed.frame.type === 'message' ? parsed.frame.id : undefined;
}
