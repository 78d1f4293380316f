import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes: 256 bits, twice the 128 a guess must beat. */
const TOKEN_BYTES = 32;

/** A new resume token: opaque, unguessable, URL-safe. Give it to the client only; never log it. */
export function createResumeToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/**
 * The key a token is stored under: its SHA-256. The registry never holds the token itself, and a
 * lookup by hash leaks nothing useful through its timing: a guess cannot steer its hash's prefix.
 */
export function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * A value `authenticate` returned, as a string that two values share only when they are equal:
 * each kind is tagged, strings and keys are quoted, object keys are sorted. (JSON is not: it
 * throws on a BigInt or a cycle, and drops functions, symbols and Map contents, so distinct users
 * could compare equal.) Throws a TypeError naming the path for anything without such an encoding:
 * a cycle, a function, a symbol, a Map, a class instance other than Date.
 */
export function identityKey(value: unknown, path = 'value', seen: unknown[] = []): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return `n${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `b${value.toString()}`;
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'z';
      if (value instanceof Date) return `d${value.getTime()}`;
      if (seen.includes(value)) throw new TypeError(`identity: ${path} refers back to itself (a cycle)`);
      const proto = Object.getPrototypeOf(value);
      const inner = [...seen, value];
      if (Array.isArray(value)) {
        return `[${Array.from(value, (item, i) => identityKey(item, `${path}[${i}]`, inner)).join(',')}]`;
      }
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `identity: ${path} is a ${proto?.constructor?.name ?? 'non-plain object'}; use plain objects, arrays, strings, numbers, bigints, booleans, null or Dates`,
        );
      }
      if (Object.getOwnPropertySymbols(value).length > 0) {
        throw new TypeError(`identity: ${path} has symbol keys`);
      }
      const record = value as Record<string, unknown>;
      const fields = Object.keys(record)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${identityKey(record[key], `${path}.${key}`, inner)}`);
      return `{${fields.join(',')}}`;
    }
    default:
      throw new TypeError(`identity: ${path} is a ${typeof value}, which has no stable encoding`);
  }
}

/** Who a session belongs to, as a fixed-size digest compared in constant time. */
export function identityDigest(identity: string | undefined): Buffer {
  return createHash('sha256')
    .update(identity === undefined ? '\0anonymous' : `=${identity}`)
    .digest();
}

export interface SessionRegistryOptions<S> {
  /** How long a detached session is kept for its client to come back. */
  windowMs: number;
  /** Sessions kept at most, attached or not. */
  maxSessions: number;
  /** A session left the registry without being claimed back: its window passed, or it was evicted. */
  onExpire: (session: S, key: string) => void;
}

interface Entry<S> {
  session: S;
  identity: Buffer;
  attached: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Order of detaching, for evicting the one detached longest. */
  detachedAt: number;
}

/**
 * Sessions that outlive their connection, by key: the server keys them by `tokenKey(token)`; other
 * front ends can key them by a chat id. Each is attached (a connection holds it) or detached
 * (waiting `windowMs` for one, then expired). Keys and identities are compared in constant time,
 * and a key that is unknown, expired or someone else's gets the same answer: `undefined`.
 */
export class SessionRegistry<S> {
  private readonly entries = new Map<string, Entry<S>>();
  private detachCount = 0;

  constructor(private readonly options: SessionRegistryOptions<S>) {
    const { windowMs, maxSessions } = options;
    if (typeof windowMs !== 'number' || !Number.isFinite(windowMs) || windowMs < 0) {
      throw new RangeError(`SessionRegistry: \`windowMs\` must be a number >= 0, got ${String(windowMs)}`);
    }
    if (!Number.isInteger(maxSessions) || maxSessions < 1) {
      throw new RangeError(
        `SessionRegistry: \`maxSessions\` must be an integer >= 1, got ${String(maxSessions)}`,
      );
    }
    if (typeof options.onExpire !== 'function') {
      throw new TypeError('SessionRegistry: `onExpire` must be a function');
    }
  }

  /** Sessions held, attached or detached. */
  get size(): number {
    return this.entries.size;
  }

  /** Sessions waiting for their client. */
  get detached(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (!entry.attached) count++;
    return count;
  }

  /**
   * Adds an attached session. When full, the session detached longest is expired to make room; if
   * every session is attached, returns false and adds nothing.
   */
  add(key: string, session: S, identity?: string): boolean {
    if (this.entries.has(key)) throw new Error('SessionRegistry: key already present');
    if (this.entries.size >= this.options.maxSessions && !this.evictOldestDetached()) return false;
    this.entries.set(key, {
      session,
      identity: identityDigest(identity),
      attached: true,
      timer: undefined,
      detachedAt: 0,
    });
    return true;
  }

  /**
   * The session under `key` if it belongs to `identity`, attached again (its expiry cancelled).
   * `undefined` when the key is unknown, expired, or bound to someone else.
   */
  claim(key: string, identity?: string): S | undefined {
    const entry = this.entries.get(key);
    // Compare the identity even when there is no entry, so both answers take the same work.
    const expected = entry?.identity ?? identityDigest('\0none');
    const same = timingSafeEqual(expected, identityDigest(identity));
    if (entry === undefined || !same) return undefined;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.attached = true;
    return entry.session;
  }

  /** The connection is gone: the session waits `windowMs` for another, then expires. */
  detach(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined || !entry.attached) return;
    entry.attached = false;
    entry.detachedAt = ++this.detachCount;
    entry.timer = setTimeout(() => this.expire(key), this.options.windowMs);
    entry.timer.unref?.();
  }

  /** Removes a session without calling `onExpire` (its owner is closing it). */
  delete(key: string): S | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    this.entries.delete(key);
    return entry.session;
  }

  /** Removes every session, without `onExpire`; returns them for their owner to close. */
  clear(): S[] {
    const all = [...this.entries.values()];
    for (const entry of all) clearTimeout(entry.timer);
    this.entries.clear();
    return all.map((entry) => entry.session);
  }

  private expire(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.attached) return;
    this.entries.delete(key);
    this.options.onExpire(entry.session, key);
  }

  private evictOldestDetached(): boolean {
    let oldest: [string, Entry<S>] | undefined;
    for (const pair of this.entries) {
      if (!pair[1].attached && (oldest === undefined || pair[1].detachedAt < oldest[1].detachedAt))
        oldest = pair;
    }
    if (oldest === undefined) return false;
    clearTimeout(oldest[1].timer);
    this.entries.delete(oldest[0]);
    this.options.onExpire(oldest[1].session, oldest[0]);
    return true;
  }
}
