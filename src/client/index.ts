import {
  CLIENT_CLOSE_CODE,
  CLIENT_ERROR_CODES,
  CLOSE_CODES,
  type ClientErrorCode,
  type CompleteFrame,
  type DeltaFrame,
  type ErrorCode,
  type ErrorFrame,
  errorFrame,
  MAX_TRANSCRIPT_ITEMS,
  parseServerFrame,
  type ResultEvent,
  type ResultFrame,
  type ServerFrame,
  type ToolCallFrame,
  type ToolOutputFrame,
  type TranscriptItem,
  type TurnFrame,
} from '../protocol/frames.js';
import { withCoalesce, withoutAccumulated } from '../protocol/negotiation.js';
import { FrameQueue } from './frame-queue.js';
import { type StreamingAgentClientOptions, validateClientOptions } from './options.js';
import { Backoff, DEFAULT_MAX_FAILED_RESUMES } from './reconnect.js';
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
  TranscriptItem,
} from '../protocol/frames.js';
export {
  CLIENT_CLOSE_CODE,
  CLIENT_ERROR_CODES,
  CLOSE_CODES,
  ERROR_CODES,
} from '../protocol/frames.js';
export type { StreamingAgentClientOptions } from './options.js';

export type ClientStatus = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * How a reconnect ended: the same session (`resumed`); a new one that starts from the transcript
 * this client sent, so the agent remembers the chat (`restored`, see `sendTranscript`); or a new
 * one that starts empty because the old one was gone (`expired`).
 */
export type ResumeOutcome = 'resumed' | 'restored' | 'expired';

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

const utf8 = new TextEncoder();

/**
 * A close that the server chose, for a reason of its own (1009 too big, 1008, 1011, ...), as
 * opposed to the network going (1006), a restart (1001), or a normal handover (1000).
 */
const closedByServerForCause = (code: number) =>
  code !== CLOSE_CODES.normal && code !== CLOSE_CODES.goingAway && code !== 1005 && code !== 1006;

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
  /**
   * The largest message frame the server takes, in bytes: from `ready`, or learned from a 1009
   * close of a server that does not say. A longer message is refused here, never sent.
   */
  private maxPayload: number | undefined;
  /** The messages written on the current socket, and their size on the wire. */
  private sentOnSocket = new Map<string, number>();
  /** Resumes in a row that the server ended before anything new came (see `maxFailedResumes`). */
  private failedResumes = 0;
  private readonly maxFailedResumes: number;
  /** With `sendTranscript`: the conversation so far, and the text of each message not answered yet. */
  private readonly transcript: TranscriptItem[] = [];
  private readonly unansweredTexts = new Map<string, string>();

  constructor(
    readonly url: string,
    private readonly options: StreamingAgentClientOptions = {},
  ) {
    validateClientOptions(url, options);
    this.WebSocketClass = options.WebSocket ?? defaultWebSocket();
    const reconnect = options.reconnect;
    this.backoff = reconnect ? new Backoff(reconnect === true ? {} : reconnect) : undefined;
    this.maxFailedResumes =
      (typeof reconnect === 'object' ? reconnect.maxFailedResumes : undefined) ?? DEFAULT_MAX_FAILED_RESUMES;
  }

  get status(): ClientStatus {
    return this._status;
  }

  /** Resolves once the server says `ready`; rejects if it cannot be reached or refuses. */
  connect(): Promise<void> {
    this.closedByUser = false;
    this.failedResumes = 0;
    clearTimeout(this.reconnectTimer);
    return this.open('connecting');
  }

  /**
   * Sends a message; returns its id, which the server echoes on every frame of its turn. While a
   * resumable session is reconnecting, the message is queued and sent once it is back. Throws a
   * `StreamingClientError`: `not_connected`, or `message_too_long` (with the id it would have had)
   * when the message is larger than the server's `maxPayload`: it is not sent.
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
      const code = error instanceof StreamingClientError ? error.code : 'not_connected';
      queue.push(errorFrame(code, id, (error as Error).message));
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
        // And it asks for the delivery window its `coalesceMs` says, if any.
        const asked = withCoalesce(withoutAccumulated(url), this.options.coalesceMs);
        socket = new this.WebSocketClass(asked, this.options.protocols);
      } catch (error) {
        fail((error as Error).message);
        return;
      }
      this.socket = socket;
      this.sentOnSocket = new Map();
      /** Something new arrived on this socket after its `ready`: a resume that works. */
      let progressed = false;
      if (resuming) {
        const first = { ...this.resume.resumeFrame(), ...this.transcriptToSend() };
        socket.onopen = () => socket.send(JSON.stringify(first));
      }
      timer = setTimeout(() => {
        fail('timed out');
        socket.close();
      }, this.options.connectTimeoutMs ?? 10_000);
      socket.onerror = () => undefined; // the close event that follows says what happened
      socket.onmessage = (event) => {
        const frame = this.receive(event.data);
        if (frame === undefined) return;
        if (frame.type !== 'ready') {
          if (!progressed && settled) {
            progressed = true;
            this.failedResumes = 0;
            this.backoff?.reset();
          }
          return;
        }
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (frame.maxPayload !== undefined) this.maxPayload = frame.maxPayload;
        this.setStatus('open');
        // A resume that resends messages has worked only once something comes back for them:
        // until then, the backoff keeps growing (a message the server closes on must not loop).
        const outcome: ResumeOutcome = frame.resumed ? 'resumed' : frame.restored ? 'restored' : 'expired';
        const resent = this.resuming ? this.afterResume(outcome) : 0;
        if (resent === 0) this.backoff?.reset();
        resolve();
      };
      socket.onclose = (event) => {
        if (this.socket === socket) this.socket = undefined;
        if (resuming && !progressed && closedByServerForCause(event.code)) this.failedResumes++;
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
        if (event.code === CLOSE_CODES.messageTooBig) this.refuseLargestSent();
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
        this.keepInTranscript(frame);
        this.finishAsk(frame);
        this.onResult?.(frame.events, frame);
        return;
      case 'error': {
        // Not an error of a message: the turn in progress is restated next.
        if (frame.code === 'resume_gap') return;
        // A message resent after a resume whose answer came in the replay: nothing is missing.
        if (frame.code === 'duplicate_id' && (frame.id === undefined || !this.asks.has(frame.id))) return;
        if (frame.id !== undefined) this.unansweredTexts.delete(frame.id);
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
    const tooLong = this.tooLong(message);
    if (tooLong) throw tooLong;
    if (this.options.sendTranscript) this.unansweredTexts.set(message.id, message.message);
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
    this.writeOnSocket(message);
  }

  private writeOnSocket(message: OutgoingMessage): void {
    const bytes = utf8.encode(JSON.stringify(message)).length;
    this.write(message);
    this.resume.sent(message);
    this.sentOnSocket.set(message.id, bytes);
  }

  /** Why the server would refuse `message` for its size, when its limit is known. */
  private tooLong(message: OutgoingMessage): StreamingClientError | undefined {
    if (this.maxPayload === undefined) return undefined;
    // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 unit, JSON escaping at most 6.
    if ((message.message.length + message.id.length) * 6 + 64 <= this.maxPayload) return undefined;
    const bytes = utf8.encode(JSON.stringify(message)).length;
    if (bytes <= this.maxPayload) return undefined;
    return new StreamingClientError(
      'message_too_long',
      `the message is too long for the server: ${bytes} bytes as sent, and it accepts at most ${this.maxPayload}`,
      message.id,
    );
  }

  /**
   * The server closed with 1009: a message written on this socket was over its limit. The
   * largest one still unanswered is it (or as large): it fails with `message_too_long` and is
   * never resent, and the limit is learned for a server that does not announce it.
   */
  private refuseLargestSent(): void {
    let largest: [string, number] | undefined;
    for (const entry of this.sentOnSocket) {
      if (this.resume.isUnanswered(entry[0]) && (largest === undefined || entry[1] > largest[1]))
        largest = entry;
    }
    if (largest === undefined) return;
    const [id, bytes] = largest;
    this.maxPayload = Math.min(this.maxPayload ?? bytes - 1, bytes - 1);
    this.resume.forget(id);
    this.failMessage(
      new StreamingClientError(
        'message_too_long',
        `the message is too long for the server: it closed the connection (1009) on its ${bytes} bytes`,
        id,
      ),
    );
  }

  /** Ends one message's turn with `error`, on its `ask()` and through `onError`. */
  private failMessage(error: StreamingClientError): void {
    const frame = errorFrame(error.code, error.id, error.message);
    this.finishAsk(frame);
    this.report(frame);
  }

  /** A turn that ended with its result: its message and what the agent said and did. */
  private keepInTranscript(frame: ResultFrame): void {
    if (!this.options.sendTranscript || frame.id === undefined) return;
    const message = this.unansweredTexts.get(frame.id);
    if (message === undefined) return;
    this.unansweredTexts.delete(frame.id);
    this.transcript.push({ type: 'message', role: 'user', content: message });
    for (const event of frame.events) {
      if (event.type === 'message' && event.role === 'assistant')
        this.transcript.push({ type: 'message', role: 'assistant', content: event.content });
      else if (event.type === 'function_call' && event.callId !== undefined)
        this.transcript.push({ ...event, callId: event.callId });
      else if (event.type === 'function_call_output' && event.callId !== undefined)
        this.transcript.push({
          type: 'function_call_output',
          output: event.output,
          name: event.name ?? '',
          callId: event.callId,
          isError: event.isError === true,
        });
    }
    // Bounded: a days-long chat keeps its latest part, which is all a resume could carry anyway.
    if (this.transcript.length > MAX_TRANSCRIPT_ITEMS)
      this.transcript.splice(0, this.transcript.length - MAX_TRANSCRIPT_ITEMS);
  }

  /**
   * The transcript for a `resume` frame: its newest items that fit in the server's frame limit
   * (with room for the rest of the frame), or nothing without `sendTranscript`.
   */
  private transcriptToSend(): { transcript?: TranscriptItem[] } {
    if (!this.options.sendTranscript || this.transcript.length === 0) return {};
    let budget = (this.maxPayload ?? 64 * 1024) - 1024;
    let first = this.transcript.length;
    while (first > 0) {
      budget -= utf8.encode(JSON.stringify(this.transcript[first - 1])).length + 1;
      if (budget < 0) break;
      first--;
    }
    return first === this.transcript.length ? {} : { transcript: this.transcript.slice(first) };
  }

  /**
   * A resuming socket is ready: send what is pending, and say how it went. Returns how many
   * messages it sent.
   */
  private afterResume(outcome: ResumeOutcome): number {
    this.resuming = false;
    let send: OutgoingMessage[];
    if (outcome === 'resumed') send = this.resume.takeAfterResume();
    else {
      const taken = this.resume.takeAfterExpiry();
      // The old session's unanswered messages went with it (a restored one has the chat, not them).
      for (const lost of taken.lost) {
        this.unansweredTexts.delete(lost.id);
        const frame = errorFrame(outcome === 'restored' ? 'turn_lost' : 'session_expired', lost.id);
        this.finishAsk(frame);
        this.report(frame);
      }
      send = taken.send;
    }
    let sent = 0;
    for (const message of send) {
      // Written while the limit was unknown, or a new server with a lower one.
      const tooLong = this.tooLong(message);
      if (tooLong) {
        this.resume.forget(message.id);
        this.failMessage(tooLong);
        continue;
      }
      try {
        this.writeOnSocket(message);
        sent++;
      } catch {
        break; // the socket went again: the next resume sends them
      }
    }
    this.onResume?.(outcome);
    return sent;
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
    const resumesFailed = this.failedResumes >= this.maxFailedResumes;
    const delay = resumesFailed ? undefined : this.backoff?.next();
    if (delay === undefined || this.closedByUser) {
      if (this.resume.canResume) {
        this.resume.clear();
        this.failPendingAsks('the connection was lost and could not be resumed');
      }
      this.setStatus('closed');
      if (this.closedByUser) return;
      // Say so: a page that shows only the status would otherwise just go quiet.
      this.report(
        errorFrame(
          'reconnect_failed',
          undefined,
          resumesFailed
            ? `${CLIENT_ERROR_CODES.reconnect_failed}: the server ended the connection ${this.failedResumes} times in a row as it resumed`
            : `${CLIENT_ERROR_CODES.reconnect_failed}: the server could not be reached`,
        ),
      );
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
