// The engine's options, in one place for every front end: the agent options and socket limits that
// createStreamingServer and createAISDKChats share, the stores, and the protocol server's own (which are
// mostly the engine's: resume window, sessions, queue). It lives with the engine so that the engine and
// both front ends import it downward.
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { llm, voice } from '@livekit/agents';
import { OptionChecks } from '../core/option-checks.js';
import { MAX_TRANSCRIPT_ITEMS } from '../protocol/frames.js';
import { type AccumulatedBudget, DEFAULT_ACCUMULATED_BUDGET } from './event-frames.js';
import { type FrameLog, MemoryFrameLog, type MemoryFrameLogOptions } from './frame-log.js';
import type { SessionStore } from './store.js';
import { clusterStores } from './stores/cluster.js';

/** What the factories learn about the connection they build for. */
export interface ConnectionContext {
  /** The HTTP upgrade request: headers, URL, remote address. */
  request: IncomingMessage;
  /** What `authenticate` returned, when it returned an object. */
  auth: unknown;
  connectionId: number;
}

type Awaitable<T> = T | Promise<T>;

/** What happens to the turn in progress when its client's socket drops. */
export type DisconnectPolicy = 'continue' | 'interrupt';
/** Extra `AgentSession` options (the framework's own constructor options). */
export type SessionOptions = ConstructorParameters<typeof voice.AgentSession>[0];

/**
 * The agent behind each session and the bounds of its turns: the same options, checked the same
 * way, for `createStreamingServer` (Context: the connection) and `createAISDKChats` (the chat).
 */
export interface AgentOptions<Context> {
  /** One agent per session. */
  createAgent: (context: Context) => Awaitable<voice.Agent>;
  /** One LLM per session. Optional when the agent brings its own. */
  createLLM?: (context: Context) => Awaitable<llm.LLM>;
  /** Extra `AgentSession` options (a TTS, turn handling, ...). `llm` from `createLLM` wins. */
  sessionOptions?: (context: Context) => Awaitable<SessionOptions>;
  /** A turn that takes longer is interrupted and ends with an error (`turn_timeout`). Default 120 s. */
  turnTimeoutMs?: number;
  /** Events buffered per session before deltas are merged. Default 1024. */
  bufferSize?: number;
  /** Errors that are not the client's fault (a failed session, a failed run). Default: console.error. */
  onError?: (error: unknown, where: string) => void;
}

/** The limits every front end's sockets are held to, at the gate and after. */
export interface SocketLimits {
  /** Open WebSocket connections at most; more are refused with HTTP 503. Default 1000. */
  maxConnections?: number;
  /** Origins allowed to connect (exact match), or a predicate. Default: any origin. */
  allowedOrigins?: readonly string[] | ((origin: string | undefined) => boolean);
  /** Ping interval; a peer that misses one pong is terminated. 0 disables. Default 30 s. */
  heartbeatIntervalMs?: number;
  /**
   * How long the app's gate callback may take (`authenticate` on the WebSocket server, `authorize`
   * on the AI SDK endpoints); past it the request is refused (HTTP 503, or the chat's "not yours"
   * error) and the error reported. Default 5 s.
   */
  authenticateTimeoutMs?: number;
}

export type ResolvedAgentOptions<Context> = Required<
  Pick<AgentOptions<Context>, 'createAgent' | 'turnTimeoutMs' | 'bufferSize' | 'onError'>
> &
  Pick<AgentOptions<Context>, 'createLLM' | 'sessionOptions'>;

export type ResolvedSocketLimits = Required<
  Pick<SocketLimits, 'maxConnections' | 'heartbeatIntervalMs' | 'authenticateTimeoutMs'>
> &
  Pick<SocketLimits, 'allowedOrigins'>;

/** Checks and defaults the agent options, for either front end (`check` names its factory). */
export function resolveAgentOptions<Context>(
  check: OptionChecks,
  options: AgentOptions<Context>,
  logPrefix: string,
): ResolvedAgentOptions<Context> {
  const o = options as unknown as Record<string, unknown>;
  check.fn('createAgent', o.createAgent, true);
  check.fn('createLLM', o.createLLM);
  check.fn('sessionOptions', o.sessionOptions);
  check.fn('onError', o.onError);
  return {
    createAgent: options.createAgent,
    createLLM: options.createLLM,
    sessionOptions: options.sessionOptions,
    turnTimeoutMs: check.milliseconds('turnTimeoutMs', o.turnTimeoutMs, 120_000),
    bufferSize: check.integer('bufferSize', o.bufferSize, 1024, 1),
    onError: options.onError ?? ((error, where) => console.error(`[${logPrefix}] ${where}:`, error)),
  };
}

/** Checks and defaults the socket limits, for either front end. */
export function resolveSocketLimits(check: OptionChecks, options: SocketLimits): ResolvedSocketLimits {
  const o = options as unknown as Record<string, unknown>;
  checkOrigins(check, o.allowedOrigins);
  return {
    maxConnections: check.integer('maxConnections', o.maxConnections, 1000, 1),
    allowedOrigins: options.allowedOrigins,
    heartbeatIntervalMs: check.milliseconds('heartbeatIntervalMs', o.heartbeatIntervalMs, 30_000, 0),
    authenticateTimeoutMs: check.milliseconds('authenticateTimeoutMs', o.authenticateTimeoutMs, 5_000),
  };
}

export interface StreamingServerOptions extends AgentOptions<ConnectionContext>, SocketLimits {
  /** Port to listen on; 0 picks a free one. Ignored when `server` is given. */
  port?: number;
  host?: string;
  /** Attach to an existing HTTP server instead of listening on `port`. */
  server?: HttpServer;
  /** Only upgrade requests for this path are accepted. Default: any path on our own server, '/' on yours. */
  path?: string;

  /** Largest client frame in bytes; larger ones close the connection with 1009. Default 64 KiB. */
  maxPayload?: number;
  /** Messages waiting behind the one being answered, per connection; past it: `busy`. Default 8. */
  maxQueuedMessages?: number;
  /**
   * Decides whether an upgrade request may connect: false (or a throw) refuses it with HTTP 401.
   * An object is kept as `context.auth` for the factories.
   */
  authenticate?: (request: IncomingMessage) => Awaitable<boolean | object>;
  /** Client frames allowed per connection: a burst, refilled at `perSecond`. `false` disables. */
  rateLimit?: { burst: number; perSecond: number } | false;
  /**
   * On a server this package creates (no `server` option): how long a client may take to send
   * complete request headers / a complete request before its socket is closed (Node's
   * `headersTimeout` / `requestTimeout`). Defaults 10 s / 30 s.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * `accumulated` on delta frames: true (every frame, default), false (never), or N (every Nth
   * frame and the first). It makes the bytes on the wire grow with the square of the reply.
   */
  sendAccumulated?: boolean | number;
  /**
   * Limits `accumulated` when it goes on every frame (`sendAccumulated: true`, to a client that did
   * not ask to go without): per generation, `perChar` characters of it per character of text plus
   * `extra`; past that, deltas merge into at most one frame per `intervalMs` and `perSecond`
   * characters of it per second. `false`: no limit (one frame per chunk: bytes grow with the
   * square of the reply). Default `{ perChar: 4, extra: 1 MiB, intervalMs: 100, perSecond: 1e6 }`.
   */
  accumulatedBudget?: Partial<AccumulatedBudget> | false;
  /** Bytes queued on a socket before the server stops sending and merges deltas. Default 64 KiB. */
  highWaterMark?: number;
  /**
   * The delivery window, per socket: after a delta frame goes out, the deltas that come within
   * this many milliseconds leave together when it ends, as one frame in one write. Text waits at
   * most this long; a `complete`, tool step, `result` or `error` sends what waits first. 0: every
   * delta leaves as it comes. Default 0.
   */
  coalesceMs?: number;
  /**
   * How long a session outlives its socket, waiting for its client to resume it with the token
   * from `ready`. 0 closes the session with its socket (no token, no `seq`). Default 30 s.
   */
  resumeWindowMs?: number;
  /** The turn in progress when the socket drops: keeps running (default), or is interrupted. */
  onDisconnect?: DisconnectPolicy;
  /** Sessions kept at most, connected or waiting; past it the one waiting longest is closed. Default `maxConnections`. */
  maxSessions?: number;
  /**
   * Where each session's numbered frames are kept for replay. Default: in memory, 256 KiB per
   * session (`new MemoryFrameLog({ maxBytes })`).
   */
  frameLog?: FrameLog;
  /**
   * Shares who holds each session, and its conversation, between processes (`RedisSessionStore`
   * from `livekit-streaming-text/redis`, with a `RedisFrameLog` on the same Redis): a client whose
   * reconnect lands on another process resumes there. Default: none (sessions live in one process).
   */
  sessionStore?: SessionStore;
  /**
   * When a client resumes a session that is gone (a restart, expiry) and sends its transcript,
   * start the new session's agent from it, so it remembers the chat (`ready` says `restored`).
   * The transcript is the client's word: its texts become the agent's context as they are. `true`
   * keeps its last 200 items; `{ maxItems }` another count. Default false (the new session starts
   * empty, and the client hears `session_expired`).
   */
  restoreTranscript?: boolean | { maxItems?: number };
  /** Text of the `ready` frame. */
  readyMessage?: string;
}

export type ResolvedOptions = Required<
  Omit<
    StreamingServerOptions,
    | 'server'
    | 'path'
    | 'createLLM'
    | 'sessionOptions'
    | 'allowedOrigins'
    | 'authenticate'
    | 'port'
    | 'accumulatedBudget'
    | 'frameLog'
    | 'sessionStore'
    | 'restoreTranscript'
  >
> & {
  accumulatedBudget: AccumulatedBudget | false;
  frameLog: FrameLog;
  sessionStore?: SessionStore;
  /** Off, or how many transcript items a restored session keeps. */
  restoreTranscript: { maxItems: number } | false;
} & Pick<
    StreamingServerOptions,
    'server' | 'path' | 'createLLM' | 'sessionOptions' | 'allowedOrigins' | 'authenticate' | 'port'
  >;

/** The delivery window when none is given (see `coalesceMs`; the capacity benchmark judges its bar at it). */
export const DEFAULT_COALESCE_MS = 0;

const check = new OptionChecks('createStreamingServer');

/**
 * Every option checked and defaulted at construction: a bad one throws here (TypeError for a wrong
 * type or a missing required option, RangeError out of range), never at the first connection.
 */
export function resolveOptions(options: StreamingServerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createStreamingServer: options must be an object; received ${String(options)}`);
  }
  const o = options as unknown as Record<string, unknown>;
  const agent = resolveAgentOptions(check, options, 'livekit-streaming-text');
  const limits = resolveSocketLimits(check, options);
  check.fn('authenticate', o.authenticate);
  check.string('host', o.host);
  check.string('readyMessage', o.readyMessage);
  if (o.server !== undefined) checkServer(o.server);
  const path = check.string('path', o.path);
  if (path !== undefined && !path.startsWith('/'))
    throw check.rangeError('path', "a path starting with '/'", path);
  const { maxConnections } = limits;
  const { frameLog, sessionStore } = resolveStores(check, o);
  return {
    ...options,
    ...agent,
    ...limits,
    port: check.integer('port', o.port, 0, 0, 65_535),
    host: options.host ?? '127.0.0.1',
    maxPayload: check.integer('maxPayload', o.maxPayload, 64 * 1024, 1),
    maxQueuedMessages: check.integer('maxQueuedMessages', o.maxQueuedMessages, 8, 0),
    maxSessions: check.integer('maxSessions', o.maxSessions, maxConnections, 1),
    resumeWindowMs: check.milliseconds('resumeWindowMs', o.resumeWindowMs, 30_000, 0),
    onDisconnect: check.oneOf('onDisconnect', o.onDisconnect, ['continue', 'interrupt'], 'continue'),
    frameLog,
    sessionStore,
    headersTimeoutMs: check.milliseconds('headersTimeoutMs', o.headersTimeoutMs, 10_000),
    requestTimeoutMs: check.milliseconds('requestTimeoutMs', o.requestTimeoutMs, 30_000),
    rateLimit: checkRateLimit(o.rateLimit),
    sendAccumulated: checkSendAccumulated(o.sendAccumulated),
    accumulatedBudget: checkBudget(o.accumulatedBudget),
    highWaterMark: check.integer('highWaterMark', o.highWaterMark, 64 * 1024, 1),
    coalesceMs: check.milliseconds('coalesceMs', o.coalesceMs, DEFAULT_COALESCE_MS, 0),
    restoreTranscript: checkRestoreTranscript(o.restoreTranscript),
    readyMessage: options.readyMessage ?? 'Agent ready',
  };
}

function checkServer(value: unknown): void {
  const server = value as Partial<HttpServer> | null;
  if (
    server === null ||
    typeof server !== 'object' ||
    typeof server.address !== 'function' ||
    typeof server.on !== 'function'
  ) {
    throw check.typeError('server', 'an http.Server', value);
  }
  if (server.listening !== true) {
    throw check.typeError(
      'server',
      'an http.Server that is listening (await its listen() first)',
      'a server that is not listening',
    );
  }
}

function checkOrigins(check: OptionChecks, value: unknown): void {
  if (value === undefined || typeof value === 'function') return;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw check.typeError('allowedOrigins', 'an array of origin strings or a function', value);
  }
}

function checkRateLimit(value: unknown): ResolvedOptions['rateLimit'] {
  if (value === undefined) return { burst: 20, perSecond: 10 };
  if (value === false) return false;
  if (value === null || typeof value !== 'object') {
    throw check.typeError('rateLimit', 'false or { burst, perSecond }', value);
  }
  const { burst, perSecond } = value as Record<string, unknown>;
  if (burst === undefined) throw check.typeError('rateLimit.burst', 'a whole number >= 1', burst);
  return {
    burst: check.integer('rateLimit.burst', burst, 0, 1),
    perSecond: check.positive('rateLimit.perSecond', perSecond),
  };
}

function checkRestoreTranscript(value: unknown): ResolvedOptions['restoreTranscript'] {
  if (value === undefined || value === false) return false;
  if (value === true) return { maxItems: 200 };
  if (value === null || typeof value !== 'object') {
    throw check.typeError('restoreTranscript', 'a boolean or { maxItems }', value);
  }
  const { maxItems } = value as Record<string, unknown>;
  return { maxItems: check.integer('restoreTranscript.maxItems', maxItems, 200, 1, MAX_TRANSCRIPT_ITEMS) };
}

function checkSendAccumulated(value: unknown): boolean | number {
  if (value === undefined) return true;
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'number')
    throw check.typeError('sendAccumulated', 'a boolean or a whole number >= 1', value);
  return check.integer('sendAccumulated', value, 1, 1);
}

function checkBudget(value: unknown): AccumulatedBudget | false {
  if (value === undefined) return DEFAULT_ACCUMULATED_BUDGET;
  if (value === false) return false;
  if (value === null || typeof value !== 'object') {
    throw check.typeError('accumulatedBudget', 'false or { perChar, extra, intervalMs }', value);
  }
  const o = value as Record<string, unknown>;
  const d = DEFAULT_ACCUMULATED_BUDGET;
  return {
    perChar: o.perChar === undefined ? d.perChar : check.positive('accumulatedBudget.perChar', o.perChar),
    extra: check.integer('accumulatedBudget.extra', o.extra, d.extra, 0),
    intervalMs: check.milliseconds('accumulatedBudget.intervalMs', o.intervalMs, d.intervalMs),
    perSecond:
      o.perSecond === undefined ? d.perSecond : check.positive('accumulatedBudget.perSecond', o.perSecond),
  };
}

/**
 * `frameLog` and `sessionStore`, checked the same way for every front end: a store needs a shared
 * log; given neither, a worker of `runWorkers` shares the primary's, else the log is in memory.
 */
export function resolveStores(
  check: OptionChecks,
  o: Record<string, unknown>,
  memoryLog: MemoryFrameLogOptions = {},
): { frameLog: FrameLog; sessionStore?: SessionStore } {
  const frameLog = checkImplements<FrameLog>(check, 'frameLog', o.frameLog, [
    'append',
    'read',
    'expire',
    'delete',
  ]);
  const sessionStore = checkImplements<SessionStore>(check, 'sessionStore', o.sessionStore, [
    'start',
    'stop',
    'register',
    'find',
    'isAlive',
    'requestTakeover',
    'release',
    'expire',
    'record',
    'conversation',
    'forget',
  ]);
  if (sessionStore !== undefined && frameLog === undefined) {
    // The default log is in this process: another one could not replay from it.
    throw check.typeError('frameLog', 'a shared log (a RedisFrameLog) when `sessionStore` is set', undefined);
  }
  // In a worker of `runWorkers`, a server given neither shares the primary's.
  const shared = frameLog === undefined && sessionStore === undefined ? clusterStores() : undefined;
  return {
    frameLog: frameLog ?? shared?.frameLog ?? new MemoryFrameLog(memoryLog),
    sessionStore: sessionStore ?? shared?.sessionStore,
  };
}

/** An object with these methods (a store or log of the app's own), or undefined. */
function checkImplements<T>(
  check: OptionChecks,
  name: string,
  value: unknown,
  methods: readonly string[],
): T | undefined {
  if (value === undefined) return undefined;
  const record = value as Record<string, unknown> | null;
  if (
    record === null ||
    typeof record !== 'object' ||
    !methods.every((m) => typeof record[m] === 'function')
  ) {
    throw check.typeError(name, `an object with ${methods.join(', ')}`, value);
  }
  return value as T;
}
