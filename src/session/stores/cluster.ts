import type { Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import type { SequencedFrame } from '../../protocol/frames.js';
import { type FrameLog, type FrameLogRead, loggedForm, MemoryFrameLog } from '../frame-log.js';
import type { ConversationRecord, SessionStore, StoredSession } from '../store.js';

/**
 * The frame log and session store `runWorkers` shares between its workers when the server is given
 * none: the primary holds them in its memory, and each worker reaches them over the cluster's IPC
 * channel through `ClusterFrameLog` and `ClusterSessionStore`, the same interfaces the Redis stores
 * implement. A reconnect the primary hands to another worker then resumes there, by the takeover
 * path a shared Redis takes: no sticky sessions needed.
 */

/** A worker asks the primary (`id` when it waits for the answer). */
interface StoreRequest {
  lkst: 'store';
  id?: number;
  op: string;
  args: unknown[];
}
interface StoreReply {
  lkst: 'store-reply';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}
/** The primary asks a worker's store to give a session up. */
interface TakeoverRequest {
  lkst: 'store-takeover';
  processId: string;
  sessionId: string;
}

/** How long a token lasts with nobody registering it again (a worker that died holding it). */
const IDLE_TTL_MS = 600_000;
/** Conversation entries kept per session, as `RedisSessionStore` keeps by default. */
const MAX_RECORDS = 1000;
/**
 * Workers' liveness is known at once (their IPC channel closes), and a takeover request is
 * delivered at once: this only bounds how long a resume waits for a worker that does not answer.
 */
const LEASE_MS = 1_000;

let inWorker = false;
let channel: WorkerChannel | undefined;

/** Called by `runWorkers` in each worker, before its `start`: servers there share the primary's stores. */
export function shareStoresWithPrimary(): void {
  inWorker = true;
}

/**
 * In a worker of `runWorkers`: a log and a store on the primary, for a server given neither.
 * Undefined anywhere else (the server keeps its own, in-process log).
 */
export function clusterStores(): { frameLog: FrameLog; sessionStore: SessionStore } | undefined {
  if (!inWorker || typeof process.send !== 'function') return undefined;
  channel ??= new WorkerChannel();
  return { frameLog: new ClusterFrameLog(channel), sessionStore: new ClusterSessionStore(channel) };
}

/**
 * The worker's end of the IPC channel. Requests that want no answer (every frame's `append`) wait
 * for the loop's check phase and leave together as one message: at model pace a busy worker handles
 * many sessions' chunks per loop turn, and one IPC message per frame cost more CPU (serialising,
 * the pipe write, the primary's parse) than the rest of our own work per chunk. Requests that want
 * an answer are asked by id, after the waiting ones, so an `ask` always sees every earlier `fire`.
 */
class WorkerChannel {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly takeovers = new Map<string, (sessionId: string) => void>();
  /** Fired requests not sent yet, in order. */
  private waiting: Array<[op: string, args: unknown[]]> = [];
  private readonly sendWaiting = () => {
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    if (!process.connected) return;
    const request: StoreRequest =
      batch.length === 1
        ? { lkst: 'store', op: batch[0]![0], args: batch[0]![1] }
        : { lkst: 'store', op: 'batch', args: batch };
    process.send!(request);
  };

  constructor() {
    process.on('message', (message: StoreReply | TakeoverRequest) => {
      if (message?.lkst === 'store-reply') {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(new Error(`runWorkers shared store: ${message.error}`));
      } else if (message?.lkst === 'store-takeover') {
        this.takeovers.get(message.processId)?.(message.sessionId);
      }
    });
    // The primary is gone: nothing will answer.
    process.once('disconnect', () => {
      this.waiting = [];
      for (const waiting of this.pending.values())
        waiting.reject(new Error('runWorkers: the primary is gone'));
      this.pending.clear();
    });
  }

  /** In order with every other request: an `ask` made after a `fire` sees it. */
  fire(op: string, ...args: unknown[]): void {
    if (!process.connected) return;
    if (this.waiting.length === 0) setImmediate(this.sendWaiting);
    this.waiting.push([op, args]);
  }

  ask<T>(op: string, ...args: unknown[]): Promise<T> {
    if (!process.connected) return Promise.reject(new Error('runWorkers: the primary is gone'));
    this.sendWaiting();
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      process.send!({ lkst: 'store', id, op, args } satisfies StoreRequest);
    });
  }
}

/** A worker's view of the primary's frame log. */
export class ClusterFrameLog implements FrameLog {
  constructor(private readonly channel: WorkerChannel) {}
  append(sessionId: string, frame: SequencedFrame): void {
    // Without `accumulated`: the log does not keep it, so it need not cross the channel.
    this.channel.fire('append', sessionId, loggedForm(frame));
  }
  read(sessionId: string, after: number): Promise<FrameLogRead> {
    return this.channel.ask('read', sessionId, after);
  }
  turnFrames(sessionId: string): Promise<SequencedFrame[]> {
    return this.channel.ask('turnFrames', sessionId);
  }
  expire(sessionId: string, ms: number): void {
    this.channel.fire('expireFrames', sessionId, ms);
  }
  delete(sessionId: string): void {
    this.channel.fire('deleteFrames', sessionId);
  }
}

/** A worker's view of the primary's session store: its lease is its IPC channel being open. */
export class ClusterSessionStore implements SessionStore {
  readonly processId = randomUUID();
  readonly leaseMs = LEASE_MS;
  constructor(private readonly channel: WorkerChannel) {}

  async start(onTakeover: (sessionId: string) => void): Promise<void> {
    this.channel.takeovers.set(this.processId, onTakeover);
    await this.channel.ask('start', this.processId);
  }
  async stop(): Promise<void> {
    this.channel.takeovers.delete(this.processId);
    await this.channel.ask('stop', this.processId).catch(() => undefined);
  }
  register(key: string, session: StoredSession): void {
    this.channel.fire('register', key, session);
  }
  find(key: string): Promise<StoredSession | undefined> {
    return this.channel.ask<StoredSession | null>('find', key).then((found) => found ?? undefined);
  }
  isAlive(processId: string): Promise<boolean> {
    return this.channel.ask('isAlive', processId);
  }
  requestTakeover(processId: string, sessionId: string): Promise<void> {
    return this.channel.ask('requestTakeover', processId, sessionId);
  }
  release(key: string): void {
    this.channel.fire('release', key);
  }
  expire(key: string, ms: number): void {
    this.channel.fire('expire', key, ms);
  }
  record(sessionId: string, entry: ConversationRecord): void {
    this.channel.fire('record', sessionId, entry);
  }
  conversation(sessionId: string): Promise<ConversationRecord[]> {
    return this.channel.ask('conversation', sessionId);
  }
  forget(key: string, sessionId: string): void {
    this.channel.fire('forget', key, sessionId);
  }
}

interface HeldToken extends StoredSession {
  timer: ReturnType<typeof setTimeout>;
}

/** The primary's end: the log and the sessions, in its memory, served to every worker. */
export class PrimaryStores {
  private readonly log = new MemoryFrameLog({ keepTurns: true });
  private readonly tokens = new Map<string, HeldToken>();
  private readonly chats = new Map<string, ConversationRecord[]>();
  /** Live stores (their processId) and the worker each is in. */
  private readonly alive = new Map<string, Worker>();

  /** Answers a worker's requests; forgets its leases when it exits. */
  serve(worker: Worker): void {
    worker.on('message', (message: StoreRequest) => {
      if (message?.lkst !== 'store') return;
      let reply: StoreReply | undefined;
      try {
        const value = this.run(worker, message.op, message.args);
        if (message.id !== undefined)
          reply = { lkst: 'store-reply', id: message.id, ok: true, value: value ?? null };
      } catch (error) {
        if (message.id !== undefined)
          reply = { lkst: 'store-reply', id: message.id, ok: false, error: String(error) };
      }
      if (reply !== undefined && worker.isConnected()) worker.send(reply);
    });
    worker.on('exit', () => {
      for (const [processId, owner] of this.alive) if (owner === worker) this.alive.delete(processId);
    });
  }

  private run(worker: Worker, op: string, args: unknown[]): unknown {
    const [a, b] = args as [string, never];
    switch (op) {
      case 'batch':
        // Fired requests, in order; each one's failure is its own (nobody waits for an answer).
        for (const [each, eachArgs] of args as Array<[string, unknown[]]>) {
          try {
            this.run(worker, each, eachArgs);
          } catch {}
        }
        return;
      case 'append':
        return this.log.append(a, b as SequencedFrame);
      case 'read':
        return this.log.readNow(a, b as number);
      case 'turnFrames':
        return this.log.turnFramesNow(a);
      case 'expireFrames':
        return this.log.expire(a, b as number);
      case 'deleteFrames':
        return this.log.delete(a);
      case 'start':
        this.alive.set(a, worker);
        return;
      case 'stop':
        this.alive.delete(a);
        return;
      case 'register': {
        const session = b as StoredSession;
        clearTimeout(this.tokens.get(a)?.timer);
        this.tokens.set(a, { ...session, timer: this.expiry(a, IDLE_TTL_MS) });
        return;
      }
      case 'find': {
        const held = this.tokens.get(a);
        return held === undefined
          ? undefined
          : { sessionId: held.sessionId, owner: held.owner, identity: held.identity };
      }
      case 'isAlive':
        return this.alive.get(a)?.isConnected() ?? false;
      case 'requestTakeover': {
        const owner = this.alive.get(a);
        if (owner?.isConnected()) {
          owner.send({ lkst: 'store-takeover', processId: a, sessionId: b } satisfies TakeoverRequest);
        }
        return;
      }
      case 'release': {
        const held = this.tokens.get(a);
        if (held !== undefined) held.owner = '';
        return;
      }
      case 'expire': {
        const held = this.tokens.get(a);
        if (held === undefined) return;
        clearTimeout(held.timer);
        held.timer = this.expiry(a, Math.max(1, b as number));
        return;
      }
      case 'record': {
        const chat = this.chats.get(a) ?? [];
        chat.push(b as ConversationRecord);
        if (chat.length > MAX_RECORDS) chat.shift();
        this.chats.set(a, chat);
        return;
      }
      case 'conversation':
        return this.chats.get(a) ?? [];
      case 'forget':
        // Only its own session's: the token may have moved on to another process's.
        if (this.tokens.get(a)?.sessionId === b) this.drop(a, b as string);
        else this.chats.delete(b as string);
        return;
      default:
        throw new Error(`unknown operation ${op}`);
    }
  }

  /** A token that is not registered again within `ms` goes, with its session's records. */
  private expiry(key: string, ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      const held = this.tokens.get(key);
      if (held !== undefined) this.drop(key, held.sessionId);
    }, ms);
    timer.unref?.();
    return timer;
  }

  private drop(key: string, sessionId: string): void {
    clearTimeout(this.tokens.get(key)?.timer);
    this.tokens.delete(key);
    this.chats.delete(sessionId);
    this.log.delete(sessionId);
  }
}
