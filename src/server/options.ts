import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { llm, voice } from '@livekit/agents';

/** What the factories learn about the connection they build for. */
export interface ConnectionContext {
  /** The HTTP upgrade request: headers, URL, remote address. */
  request: IncomingMessage;
  /** What `authenticate` returned, when it returned an object. */
  auth: unknown;
  connectionId: number;
}

type Awaitable<T> = T | Promise<T>;
export type SessionOptions = ConstructorParameters<typeof voice.AgentSession>[0];

export interface StreamingServerOptions {
  /** Port to listen on; 0 picks a free one. Ignored when `server` is given. */
  port?: number;
  host?: string;
  /** Attach to an existing HTTP server instead of listening on `port`. */
  server?: HttpServer;
  /** Only upgrade requests for this path are accepted. Default: any path on our own server, '/' on yours. */
  path?: string;

  /** One agent per connection. */
  createAgent: (context: ConnectionContext) => Awaitable<voice.Agent>;
  /** One LLM per connection. Optional when the agent brings its own. */
  createLLM?: (context: ConnectionContext) => Awaitable<llm.LLM>;
  /** Extra `AgentSession` options (a TTS, turn handling, ...). `llm` from `createLLM` wins. */
  sessionOptions?: (context: ConnectionContext) => Awaitable<SessionOptions>;

  /** Largest client frame in bytes; larger ones close the connection with 1009. Default 64 KiB. */
  maxPayload?: number;
  /** Messages waiting behind the one being answered, per connection; past it: `busy`. Default 8. */
  maxQueuedMessages?: number;
  /** Open connections at most; more are refused with HTTP 503. Default 1000. */
  maxConnections?: number;
  /** Origins allowed to connect (exact match), or a predicate. Default: any origin. */
  allowedOrigins?: readonly string[] | ((origin: string | undefined) => boolean);
  /**
   * Decides whether an upgrade request may connect: false (or a throw) refuses it with HTTP 401.
   * An object is kept as `context.auth` for the factories.
   */
  authenticate?: (request: IncomingMessage) => Awaitable<boolean | object>;
  /** Client frames allowed per connection: a burst, refilled at `perSecond`. `false` disables. */
  rateLimit?: { burst: number; perSecond: number } | false;
  /** Ping interval; a peer that misses one pong is terminated. 0 disables. Default 30 s. */
  heartbeatIntervalMs?: number;
  /** A turn that takes longer is interrupted and answered with `turn_timeout`. Default 120 s. */
  turnTimeoutMs?: number;
  /**
   * `accumulated` on delta frames: true (every frame, default), false (never), or N (every Nth
   * frame and the first). It makes the bytes on the wire grow with the square of the reply.
   */
  sendAccumulated?: boolean | number;
  /** Bytes queued on a socket before the server stops sending and merges deltas. Default 64 KiB. */
  highWaterMark?: number;
  /** Events buffered per connection before deltas are merged. Default 1024. */
  bufferSize?: number;
  /** Text of the `ready` frame. */
  readyMessage?: string;
  /** Errors that are not the client's fault (a failed session, a failed run). Default: console.error. */
  onError?: (error: unknown, where: string) => void;
}

export type ResolvedOptions = Required<
  Omit<
    StreamingServerOptions,
    'server' | 'path' | 'createLLM' | 'sessionOptions' | 'allowedOrigins' | 'authenticate' | 'port'
  >
> &
  Pick<
    StreamingServerOptions,
    'server' | 'path' | 'createLLM' | 'sessionOptions' | 'allowedOrigins' | 'authenticate' | 'port'
  >;

export function resolveOptions(options: StreamingServerOptions): ResolvedOptions {
  if (typeof options?.createAgent !== 'function') {
    throw new TypeError('createStreamingServer: `createAgent` must be a function returning a voice.Agent');
  }
  const positive = (name: string, value: number, min = 1) => {
    if (!Number.isFinite(value) || value < min) {
      throw new RangeError(`createStreamingServer: \`${name}\` must be a number >= ${min}, got ${value}`);
    }
    return value;
  };
  const accumulated = options.sendAccumulated ?? true;
  if (typeof accumulated === 'number') positive('sendAccumulated', accumulated);
  return {
    ...options,
    host: options.host ?? '127.0.0.1',
    maxPayload: positive('maxPayload', options.maxPayload ?? 64 * 1024),
    maxQueuedMessages: positive('maxQueuedMessages', options.maxQueuedMessages ?? 8, 0),
    maxConnections: positive('maxConnections', options.maxConnections ?? 1000),
    rateLimit: options.rateLimit ?? { burst: 20, perSecond: 10 },
    heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 30_000, 0),
    turnTimeoutMs: positive('turnTimeoutMs', options.turnTimeoutMs ?? 120_000),
    sendAccumulated: accumulated,
    highWaterMark: positive('highWaterMark', options.highWaterMark ?? 64 * 1024),
    bufferSize: positive('bufferSize', options.bufferSize ?? 1024),
    readyMessage: options.readyMessage ?? 'Agent ready',
    onError:
      options.onError ?? ((error, where) => console.error(`[livekit-streaming-text] ${where}:`, error)),
  };
}
