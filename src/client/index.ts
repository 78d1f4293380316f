import { withoutAccumulated } from '../negotiation.js';
import {
  CLIENT_CLOSE_CODE,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  type CompleteFrame,
  type DeltaFrame,
  type ErrorCode,
  type ErrorFrame,
  errorFrame,
  parseServerFrame,
  type ResultEvent,
  type ResultFrame,
  type ServerFrame,
  type ToolCallFrame,
  type ToolOutputFrame,
  type TurnFrame,
} from '../protocol.js';
import { FrameQueue } from './frame-queue.js';
import { type StreamingAgentClientOptions, validateClientOptions } from './options.js';
import { Backoff } from './reconnect.js';
import { type OutgoingMessage, ResumeState } from './resume.js';
import { defaultWebSocket, OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket-like.js';

export type {
  ClientErrorCode,
  CompleteFrame,
  DeltaFrame,
  ErrorCode,
  ResultEvent,
  ResultFrame,
  ToolCallFrame,
  ToolOutputFrame,
} from '../protocol.js';
export {
  CLIENT_CLOSE_CODE,
  CLIENT_ERROR_CODES,
  CLOSE_CODES,
  ERROR_CODES,
} from '../protocol.js';
export type { StreamingAgentClientOptions } from './options.js';

export type ClientStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** How a reconnect ended: the same session (`resumed`), or a fresh one because it had expired. */
export type ResumeOutcome = 'resumed' | 'expired';

/** A frame that belongs to one message: what `ask()` yields (the protocol's one `TurnFrame`). */
export type { TurnFrame };

/** An `error` frame from the server, or one the client made (`connection_lost`, `not_connected`). */
export type TurnErrorFrame = ErrorFrame<ErrorCode | ClientErrorCode>;

/** An error the client reports: a server `error` frame, or a problem on the client's side. */
export class StreamingClientError extends Error {
  override readonly name = 'StreamingClientError';
  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly id?: string,
  ) {
    super(message);
  }
}

let clientCount = 0;

/**
 * Talks to a `createStreamingServer` over WebSocket, in browsers and in Node. Use the callbacks
 * (the seed's API), or `ask(message)` for one message's frames as an async iterable.
 */
export class StreamingAgentClient {
  onDelta: ((delta: string, accumulated: string, frame: DeltaFrame) => void) | undefined;
  onComplete: ((text: string, frame: CompleteFrame) => void) | undefined;
  /** The agent started executing a tool (between the generation that asked and the next one). */
  onToolCall: ((frame: ToolCallFrame) => void) | undefined;
  /** A tool returned; `frame.callId` pairs it with its `onToolCall`. */
  onToolOutput: ((frame: ToolOutputFrame) => void) | undefined;
  onResult: ((events: ResultEvent[], frame: ResultFrame) => void) | undefined;
  onError: ((message: string, error: StreamingClientError) => void) | undefined;
  onStatus: ((status: ClientStatus) => void) | undefined;
  /** After a reconnect, once `ready`: the session was resumed, or had expired (a fresh one started). */
  onResume: ((outcome: ResumeOutcome) => void) | undefined;

  private socket: WebSocketLike | undefined;
  private _status: ClientStatus = 'idle';
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly backoff: Backoff | undefined;
  private readonly asks = new Map<string, FrameQueue<TurnFrame>>();
  private readonly idPrefix = `c${++clientCount}-${Math.random().toString(36).slice(2, 8)}-`;
  private nextId = 1;
  private generation = 0;
  private accumulated = '';
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private closedByUser = false;
  private readonly resume = new ResumeState();
  /** The socket being opened is resuming a session. */
  private resuming = false;

  constructor(
    readonly url: string,
    private readonly options: StreamingAgentClientOptions = {},
  ) {
    validateClientOptions(url, options);
    this.WebSocketClass = options.WebSocket ?? defaultWebSocket();
    const reconnect = options.reconnect;
    this.backoff = reconnect ? new Backoff(reconnect === true ? {} : reconnect) : undefined;
  }

  get status(): ClientStatus {
    return this._status;
  }

  /** Resolves once the server says `ready`; rejects if it cannot be reached or refuses. */
  connect(): Promise<void> {
    this.closedByUser = false;
    clearTimeout(this.reconnectTimer);
    return this.open('connecting');
  }

  /**
   * Sends a message; returns its id, which the server echoes on every frame of its turn. While a
   * resumable session is reconnecting, the message is queued and sent once it is back.
   */
  send(message: string): string {
    const id = `${this.idPrefix}${this.nextId++}`;
    this.writeMessage({ type: 'message', message, id });
    return id;
  }

  /** Sends a message and yields the frames of its turn, ending after its `result` or `error`. */
  ask(message: string): AsyncIterableIterator<TurnFrame> {
    const id = `${this.idPrefix}${this.nextId++}`;
    const queue = new FrameQueue<TurnFrame>(() => this.asks.delete(id));
    this.asks.set(id, queue);
    try {
      this.writeMessage({ type: 'message', message, id });
    } catch (error) {
      this.asks.delete(id);
      queue.push(errorFrame('not_connected', id, (error as Error).message));
      queue.end();
    }
    return queue;
  }

  /** Stops the generation in progress; its turn still ends with `complete` and `result`. */
  interrupt(): void {
    this.write({ type: 'interrupt' });
  }

  close(): void {
    this.closedByUser = true;
    this.resume.clear();
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.close(CLIENT_CLOSE_CODE, 'client closed');
    }
    this.failPendingAsks('the client was closed');
    this.setStatus('closed');
  }

  private open(status: 'connecting' | 'reconnecting'): Promise<void> {
    this.setStatus(status);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      // Declared before `fail`: a URL the WebSocket class refuses fails before the timer is set.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new StreamingClientError('connect_failed', `could not connect to ${this.url}: ${reason}`));
      };
      let socket: WebSocketLike;
      // A reconnect with a token resumes: `?resume=1`, then the token in the first frame.
      const resuming = status === 'reconnecting' && this.backoff !== undefined && this.resume.canResume;
      this.resuming = resuming;
      try {
        // It rebuilds `accumulated` from the deltas: ask the server to leave it off the wire.
        const url = resuming ? this.resume.url(this.url) : this.url;
        socket = new this.WebSocketClass(withoutAccumulated(url), this.options.protocols);
      } catch (error) {
        fail((error as Error).message);
        return;
      }
      this.socket = socket;
      if (resuming) {
        const first = this.resume.resumeFrame();
        socket.onopen = () => socket.send(JSON.stringify(first));
      }
      timer = setTimeout(() => {
        fail('timed out');
        socket.close();
      }, this.options.connectTimeoutMs ?? 10_000);
      socket.onerror = () => undefined; // the close event that follows says what happened
      socket.onmessage = (event) => {
        const frame = this.receive(event.data);
        if (frame?.type === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.backoff?.reset();
          this.setStatus('open');
          if (this.resuming) this.afterResume(frame.resumed === true);
          resolve();
        }
      };
      socket.onclose = (event) => {
        if (this.socket === socket) this.socket = undefined;
        if (!settled) {
          fail(
            event.code === 1006
              ? 'the server is unreachable or refused the connection'
              : `closed (${event.code})`,
          );
          if (status === 'reconnecting') this.scheduleReconnect();
          else this.setStatus('closed');
          return;
        }
        this.lost(event.code);
      };
    });
  }

  private receive(data: unknown): ServerFrame | undefined {
    if (typeof data !== 'string') {
      this.report(errorFrame('invalid_server_frame'));
      return undefined;
    }
    const parsed = parseServerFrame(data);
    if (!parsed.ok) {
      this.report(errorFrame(parsed.code, undefined, parsed.message));
      return undefined;
    }
    const frame = parsed.frame;
    // A frame replayed after a resume that this client already has: drop it.
    if (!this.resume.accept(frame)) return undefined;
    if (frame.type === 'ready') this.resume.ready(frame);
    // A throwing callback must not break the socket handler, nor the other callbacks.
    try {
      this.dispatch(frame);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
    return frame;
  }

  private dispatch(frame: ServerFrame): void {
    const ask = 'id' in frame && frame.id !== undefined ? this.asks.get(frame.id) : undefined;
    switch (frame.type) {
      case 'ready':
        return;
      case 'delta': {
        if (frame.generation !== this.generation) {
          this.generation = frame.generation;
          this.accumulated = '';
        }
        // After a resume gap, a restated delta carries the generation's whole text: it replaces.
        if (frame.restate) this.accumulated = frame.accumulated ?? frame.delta;
        else this.accumulated += frame.delta;
        ask?.push(frame);
        this.onDelta?.(frame.delta, frame.accumulated ?? this.accumulated, frame);
        return;
      }
      case 'complete':
        this.accumulated = '';
        ask?.push(frame);
        this.onComplete?.(frame.text, frame);
        return;
      case 'tool_call':
        ask?.push(frame);
        this.onToolCall?.(frame);
        return;
      case 'tool_output':
        ask?.push(frame);
        this.onToolOutput?.(frame);
        return;
      case 'result':
        this.finishAsk(frame);
        this.onResult?.(frame.events, frame);
        return;
      case 'error': {
        // Not an error of a message: the turn in progress is restated next.
        if (frame.code === 'resume_gap') return;
        this.finishAsk(frame);
        this.onError?.(frame.message, new StreamingClientError(frame.code, frame.message, frame.id));
        return;
      }
    }
  }

  private finishAsk(frame: ResultFrame | TurnErrorFrame): void {
    if (frame.id === undefined) return;
    const ask = this.asks.get(frame.id);
    if (!ask) return;
    this.asks.delete(frame.id);
    ask.push(frame);
    ask.end();
  }

  /** A message: sent now, or queued while a resumable session reconnects. */
  private writeMessage(message: OutgoingMessage): void {
    // Away: reconnecting, or the socket is going (its close event has not arrived yet).
    const away =
      this._status === 'reconnecting' ||
      this.resuming ||
      (this._status === 'open' && this.socket?.readyState !== OPEN);
    if (away && this.backoff !== undefined && this.resume.canResume) {
      if (!this.resume.queue(message)) {
        throw new StreamingClientError(
          'not_connected',
          'StreamingAgentClient: too many messages queued while away',
        );
      }
      return;
    }
    this.write(message);
    this.resume.sent(message);
  }

  /** A resuming socket is ready: send what is pending, and say how it went. */
  private afterResume(resumed: boolean): void {
    this.resuming = false;
    let send: OutgoingMessage[];
    if (resumed) send = this.resume.takeAfterResume();
    else {
      const taken = this.resume.takeAfterExpiry();
      // The old session's unanswered messages went with it.
      for (const lost of taken.lost) {
        const frame = errorFrame('session_expired', lost.id);
        this.finishAsk(frame);
        this.report(frame);
      }
      send = taken.send;
    }
    for (const message of send) {
      try {
        this.write(message);
        this.resume.sent(message);
      } catch {
        break; // the socket went again: the next resume sends them
      }
    }
    this.onResume?.(resumed ? 'resumed' : 'expired');
  }

  private write(frame: object): void {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN || this._status !== 'open') {
      throw new StreamingClientError(
        'not_connected',
        'StreamingAgentClient: not connected; await connect() first',
      );
    }
    socket.send(JSON.stringify(frame));
  }

  /** The connection dropped after it was ready. */
  private lost(code: number): void {
    // A session that can be resumed loses nothing yet: its asks wait for the resume.
    if (this.backoff !== undefined && this.resume.canResume && !this.closedByUser) {
      this.scheduleReconnect();
      return;
    }
    this.failPendingAsks(`the connection was lost (${code})`);
    this.report(errorFrame('connection_lost', undefined, `${CLIENT_ERROR_CODES.connection_lost} (${code})`));
    if (this.closedByUser) return;
    if (this.backoff) this.scheduleReconnect();
    else this.setStatus('closed');
  }

  private scheduleReconnect(): void {
    const delay = this.backoff?.next();
    if (delay === undefined || this.closedByUser) {
      if (this.resume.canResume) {
        this.resume.clear();
        this.failPendingAsks('the connection was lost and could not be resumed');
      }
      this.setStatus('closed');
      return;
    }
    this.setStatus('reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.open('reconnecting').catch(() => undefined);
    }, delay);
  }

  private failPendingAsks(reason: string): void {
    for (const [id, ask] of this.asks) {
      ask.push(errorFrame('connection_lost', id, reason));
      ask.end();
    }
    this.asks.clear();
  }

  private report(frame: TurnErrorFrame): void {
    this.onError?.(frame.message, new StreamingClientError(frame.code, frame.message, frame.id));
  }

  private setStatus(status: ClientStatus): void {
    if (this._status === status) return;
    this._status = status;
    this.onStatus?.(status);
  }
}
