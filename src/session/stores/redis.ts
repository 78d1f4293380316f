import { randomUUID } from 'node:crypto';
import type { SequencedFrame } from '../../protocol/frames.js';
import type { FrameLog, FrameLogRead } from '../frame-log.js';
import { contiguousRead, isTurnFrame, loggedForm, TEXTS_KEPT } from '../frame-log.js';
import type { ConversationRecord, SessionStore, StoredSession } from '../store.js';

/**
 * The one method this module needs of a Redis client: ioredis's `call(command, ...args)`. Pass an
 * `ioredis` instance (`new Redis(url)`); nothing here imports ioredis, so it stays an optional peer.
 */
interface RedisCaller {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

export interface RedisFrameLogOptions {
  /** Frames kept per session (`XADD … MAXLEN =`): Redis bounds a stream by entries. Default 4096. */
  maxFrames?: number;
  /** Prefix of every key this log writes. Default `lst:`. */
  prefix?: string;
  /**
   * How long a session's frames outlive its last frame when nobody calls `expire` (a process that
   * died holding it). Default 10 minutes.
   */
  idleTtlMs?: number;
  /** A failed append or expire (they are fire-and-forget). Default: console.error. */
  onError?: (error: unknown, where: string) => void;
  /**
   * How long a read (a resume's replay) waits for Redis before it fails: the resume then answers
   * `session_expired` and opens a fresh session. Default 5000.
   */
  commandTimeoutMs?: number;
}

/** How long an awaited command may take before it fails, unless `commandTimeoutMs` says otherwise. */
const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;

/**
 * The commands one store sends to Redis. An awaited one (`ask`) fails once `timeoutMs` have passed
 * with no answer: a Redis that stopped answering with its connection still open (a paused process,
 * a partition) never fails a command by itself, and ioredis queues commands while it reconnects, so
 * without the bound a resume, or `close()`, would wait forever. A late answer is ignored (`race` has
 * already subscribed to it). The rest (`fire`) are fire-and-forget: a failure goes to `onError`.
 */
class RedisCommands {
  constructor(
    private readonly redis: RedisCaller,
    private readonly owner: string,
    private readonly timeoutMs: number,
    private readonly onError: (error: unknown, where: string) => void,
  ) {}

  ask(command: string, ...args: Array<string | number>): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.owner}: Redis did not answer ${command} within ${this.timeoutMs} ms (\`commandTimeoutMs\`)`,
            ),
          ),
        this.timeoutMs,
      );
      timer.unref?.();
    });
    return Promise.race([this.redis.call(command, ...args), timeout]).finally(() => clearTimeout(timer));
  }

  fire(command: string, ...args: Array<string | number>): void {
    this.redis.call(command, ...args).catch((error) => this.onError(error, command));
  }
}

/** The longest delay a Node timer keeps: a longer one fires after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** An option used as a timer's delay: a positive integer a Node timer can hold. */
const timerMs = (name: string, value: unknown, owner: string): number => {
  const ms = positiveInteger(name, value, owner);
  if (ms > MAX_TIMER_MS) {
    throw new RangeError(
      `${owner}: \`${name}\` must be at most ${MAX_TIMER_MS} (a Node timer's limit), got ${ms}`,
    );
  }
  return ms;
};

const errorHandler = (value: unknown, owner: string): ((error: unknown, where: string) => void) => {
  if (value === undefined) {
    return (error, where) => console.error(`[livekit-streaming-text] redis ${where}:`, error);
  }
  if (typeof value !== 'function') {
    throw new TypeError(`${owner}: \`onError\` must be a function, got ${typeof value}`);
  }
  return value as (error: unknown, where: string) => void;
};

const positiveInteger = (name: string, value: unknown, owner = 'RedisFrameLog'): number => {
  if (typeof value !== 'number') {
    throw new TypeError(`${owner}: \`${name}\` must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${owner}: \`${name}\` must be an integer >= 1, got ${value}`);
  }
  return value;
};

/**
 * The frame log on Redis Streams, shared by every server process: one stream per session whose
 * entry ids are the frames' seqs (`<seq>-0`), so `XREAD … STREAMS key <seq>-0` returns exactly the
 * frames after `seq`. Each append trims the stream (`MAXLEN =`) and pushes its expiry back.
 */
export class RedisFrameLog implements FrameLog {
  readonly maxFrames: number;
  readonly prefix: string;
  readonly idleTtlMs: number;
  readonly commandTimeoutMs: number;
  private readonly commands: RedisCommands;

  constructor(redis: RedisCaller, options: RedisFrameLogOptions = {}) {
    if (typeof redis?.call !== 'function') {
      throw new TypeError('RedisFrameLog: pass a Redis client with `call()` (an ioredis instance)');
    }
    this.maxFrames = positiveInteger('maxFrames', options.maxFrames ?? 4096);
    this.idleTtlMs = positiveInteger('idleTtlMs', options.idleTtlMs ?? 600_000);
    this.commandTimeoutMs = timerMs(
      'commandTimeoutMs',
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'RedisFrameLog',
    );
    const prefix = options.prefix ?? 'lst:';
    if (typeof prefix !== 'string') {
      throw new TypeError(`RedisFrameLog: \`prefix\` must be a string, got ${typeof prefix}`);
    }
    this.prefix = prefix;
    this.commands = new RedisCommands(
      redis,
      'RedisFrameLog',
      this.commandTimeoutMs,
      errorHandler(options.onError, 'RedisFrameLog'),
    );
  }

  /** The stream key of a session. */
  key(sessionId: string): string {
    return `${this.prefix}${sessionId}:frames`;
  }

  /** The list of a session's recent turns' frames (see `turnFrames`). */
  turnsKey(sessionId: string): string {
    return `${this.prefix}${sessionId}:turns`;
  }

  append(sessionId: string, frame: SequencedFrame): void {
    const key = this.key(sessionId);
    const json = JSON.stringify(loggedForm(frame));
    // One connection keeps commands in order: a later read sees this append.
    this.commands.fire('XADD', key, 'MAXLEN', '=', this.maxFrames, `${frame.seq}-0`, 'f', json);
    this.commands.fire('PEXPIRE', key, this.idleTtlMs);
    if (!isTurnFrame(frame)) return;
    // The turns' text, beside the bounded stream: another process restates the turn from it.
    const turns = this.turnsKey(sessionId);
    this.commands.fire('RPUSH', turns, json);
    if (frame.type === 'result' || frame.type === 'error') {
      // A turn ended: keep the last TEXTS_KEPT turns (amortised: once per turn, over its frames).
      this.commands.fire('EVAL', TRIM_TURNS, 1, turns, TEXTS_KEPT);
    }
    this.commands.fire('PEXPIRE', turns, this.idleTtlMs);
  }

  async turnFrames(sessionId: string): Promise<SequencedFrame[]> {
    const entries = (await this.commands.ask('LRANGE', this.turnsKey(sessionId), 0, -1)) as string[] | null;
    return (entries ?? []).map((entry) => JSON.parse(entry) as SequencedFrame);
  }

  async read(sessionId: string, after: number): Promise<FrameLogRead> {
    const reply = await this.commands.ask('XREAD', 'STREAMS', this.key(sessionId), `${after}-0`);
    const frames = entriesOf(reply).map(
      ([, fields]) => JSON.parse(fieldValue(fields, 'f')) as SequencedFrame,
    );
    // Trimmed by MAXLEN, or lost (an append that failed, a Redis that restarted without them): a
    // hole anywhere in the seqs, including before the first held, is a gap.
    return contiguousRead(frames, after);
  }

  expire(sessionId: string, ms: number): void {
    const after = Math.max(1, Math.ceil(ms));
    this.commands.fire('PEXPIRE', this.key(sessionId), after);
    this.commands.fire('PEXPIRE', this.turnsKey(sessionId), after);
  }

  delete(sessionId: string): void {
    this.commands.fire('DEL', this.key(sessionId), this.turnsKey(sessionId));
  }
}

/**
 * Drops from a turns list (KEYS[1]) every frame before the last ARGV[1] turns: it finds the
 * outcome (a `result`, or an `error`: only those with an id are listed) that ends the turn before
 * them, and trims through it.
 */
const TRIM_TURNS = `local items = redis.call('LRANGE', KEYS[1], 0, -1)
local keep = tonumber(ARGV[1])
local seen = 0
for i = #items, 1, -1 do
  local head = string.sub(items[i], 1, 16)
  if head == '{"type":"result"' or string.sub(head, 1, 15) == '{"type":"error"' then
    seen = seen + 1
    if seen > keep then
      redis.call('LTRIM', KEYS[1], i, -1)
      return i
    end
  end
end
return 0`;

/**
 * XREAD's reply for one stream: `[[key, entries]]` in RESP2, `[key, entries]` as ioredis flattens
 * RESP3's map, or null when there is nothing; each entry is `[id, [field, value, …]]`.
 */
function entriesOf(reply: unknown): Array<[string, string[]]> {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const stream = (typeof reply[0] === 'string' ? reply : reply[0]) as [string, Array<[string, string[]]>];
  return Array.isArray(stream[1]) ? stream[1] : [];
}

function fieldValue(fields: string[], name: string): string {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  throw new Error(`RedisFrameLog: an entry without \`${name}\``);
}

export interface RedisSessionStoreOptions {
  /** Prefix of every key. Default `lst:`. */
  prefix?: string;
  /**
   * A process is alive while its lease is; it renews it every third of this. A process that died
   * is taken over at most this long after. Default 3 s.
   */
  leaseMs?: number;
  /** How long a session's records outlive its last message. Default 10 minutes. */
  idleTtlMs?: number;
  /** Conversation entries kept per session (the oldest go). Default 1000. */
  maxRecords?: number;
  onError?: (error: unknown, where: string) => void;
  /**
   * How long an awaited command waits for Redis before it fails. Then `createStreamingServer`
   * rejects, a resume that needs Redis answers `session_expired` with a fresh session, and
   * `close()` goes on without releasing the lease (it runs out by itself). Default 5000.
   */
  commandTimeoutMs?: number;
}

/** Atomically takes the takeover requests addressed to a process. */
const TAKE_REQUESTS = "local v = redis.call('LRANGE', KEYS[1], 0, -1); redis.call('DEL', KEYS[1]); return v";

/** Deletes a session's conversation (KEYS[2]), and its token (KEYS[1]) if it names it (ARGV[1]). */
const FORGET =
  "if redis.call('HGET', KEYS[1], 'sid') == ARGV[1] then redis.call('DEL', KEYS[1]) end; return redis.call('DEL', KEYS[2])";

/**
 * Who holds which session, and each session's conversation, on Redis: what lets a process resume
 * a session another one held. Each process renews a lease (`<prefix>proc:<id>`, `PX leaseMs`); a
 * token key maps to a hash `{sid, owner, identity}`; a session's conversation is a list of JSON
 * entries. Takeover requests to a live process go through a list it drains as it renews its lease.
 */
export class RedisSessionStore implements SessionStore {
  readonly processId = randomUUID();
  readonly prefix: string;
  readonly leaseMs: number;
  readonly idleTtlMs: number;
  readonly maxRecords: number;
  readonly commandTimeoutMs: number;
  private readonly onError: (error: unknown, where: string) => void;
  private readonly commands: RedisCommands;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(redis: RedisCaller, options: RedisSessionStoreOptions = {}) {
    if (typeof redis?.call !== 'function') {
      throw new TypeError('RedisSessionStore: pass a Redis client with `call()` (an ioredis instance)');
    }
    this.leaseMs = timerMs('leaseMs', options.leaseMs ?? 3_000, 'RedisSessionStore');
    this.idleTtlMs = positiveInteger('idleTtlMs', options.idleTtlMs ?? 600_000, 'RedisSessionStore');
    this.maxRecords = positiveInteger('maxRecords', options.maxRecords ?? 1000, 'RedisSessionStore');
    this.commandTimeoutMs = timerMs(
      'commandTimeoutMs',
      options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      'RedisSessionStore',
    );
    const prefix = options.prefix ?? 'lst:';
    if (typeof prefix !== 'string') {
      throw new TypeError(`RedisSessionStore: \`prefix\` must be a string, got ${typeof prefix}`);
    }
    this.prefix = prefix;
    this.onError = errorHandler(options.onError, 'RedisSessionStore');
    this.commands = new RedisCommands(redis, 'RedisSessionStore', this.commandTimeoutMs, this.onError);
  }

  private proc(processId: string): string {
    return `${this.prefix}proc:${processId}`;
  }
  private tok(key: string): string {
    return `${this.prefix}tok:${key}`;
  }
  private chat(sessionId: string): string {
    return `${this.prefix}${sessionId}:chat`;
  }

  async start(onTakeover: (sessionId: string) => void): Promise<void> {
    const renew = async () => {
      await this.commands.ask('SET', this.proc(this.processId), '1', 'PX', this.leaseMs);
      const asked = (await this.commands.ask(
        'EVAL',
        TAKE_REQUESTS,
        1,
        `${this.proc(this.processId)}:takeover`,
      )) as string[] | null;
      for (const sessionId of asked ?? []) onTakeover(sessionId);
    };
    await renew();
    this.timer = setInterval(
      () => void renew().catch((error) => this.onError(error, 'lease')),
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.commands.ask('DEL', this.proc(this.processId)).catch((error) => this.onError(error, 'DEL'));
  }

  register(key: string, session: StoredSession): void {
    const tok = this.tok(key);
    this.commands.fire(
      'HSET',
      tok,
      'sid',
      session.sessionId,
      'owner',
      session.owner,
      'identity',
      session.identity,
    );
    this.commands.fire('PEXPIRE', tok, this.idleTtlMs);
  }

  async find(key: string): Promise<StoredSession | undefined> {
    const fields = (await this.commands.ask('HGETALL', this.tok(key))) as
      | string[]
      | Record<string, string>
      | null;
    const map = Array.isArray(fields) ? pairs(fields) : (fields ?? {});
    if (map.sid === undefined) return undefined;
    return { sessionId: map.sid, owner: map.owner ?? '', identity: map.identity ?? '' };
  }

  async isAlive(processId: string): Promise<boolean> {
    if (processId === '') return false;
    return (await this.commands.ask('EXISTS', this.proc(processId))) === 1;
  }

  async requestTakeover(processId: string, sessionId: string): Promise<void> {
    await this.commands.ask('RPUSH', `${this.proc(processId)}:takeover`, sessionId);
    await this.commands.ask('PEXPIRE', `${this.proc(processId)}:takeover`, this.leaseMs * 2);
  }

  release(key: string): void {
    this.commands.fire('HSET', this.tok(key), 'owner', '');
  }

  expire(key: string, ms: number): void {
    this.commands.fire('PEXPIRE', this.tok(key), Math.max(1, Math.ceil(ms)));
  }

  record(sessionId: string, entry: ConversationRecord): void {
    const chat = this.chat(sessionId);
    this.commands.fire('RPUSH', chat, JSON.stringify(entry));
    this.commands.fire('LTRIM', chat, -this.maxRecords, -1);
    this.commands.fire('PEXPIRE', chat, this.idleTtlMs);
  }

  async conversation(sessionId: string): Promise<ConversationRecord[]> {
    const entries = (await this.commands.ask('LRANGE', this.chat(sessionId), 0, -1)) as string[] | null;
    return (entries ?? []).map((entry) => JSON.parse(entry) as ConversationRecord);
  }

  forget(key: string, sessionId: string): void {
    // The token only if it still names this session: another process may have taken it over.
    this.commands.fire('EVAL', FORGET, 2, this.tok(key), this.chat(sessionId), sessionId);
  }
}

function pairs(flat: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) map[flat[i]!] = flat[i + 1]!;
  return map;
}
