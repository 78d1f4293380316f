import { timingSafeEqual } from 'node:crypto';
import { errorFrame, type ReadyFrame, type SequencedFrame } from '../protocol/frames.js';
import type { FrameLog } from './frame-log.js';
import type { FrameSink } from './frame-sender.js';
import { LiveSession, type Restored } from './live-session.js';
import type { ConnectionContext, ResolvedOptions } from './options.js';
import { createResumeToken, identityDigest, identityKey, SessionRegistry, tokenKey } from './registry.js';
import type { SessionStore } from './store.js';

/** How often a process waiting for another to give a session up looks again. */
const TAKEOVER_POLL_MS = 50;

/**
 * Identity a token is bound to: what `authenticate` returned, by `identityKey` (collision-free;
 * the upgrade guard has refused a value without one). Without `authenticate`, every client is the
 * same anonymous identity and the token alone decides.
 */
export function identityOf(options: ResolvedOptions, context: ConnectionContext): string | undefined {
  if (options.authenticate === undefined) return undefined;
  return identityKey(context.auth ?? null, 'authenticate() result');
}

/** A session a resume from the shared store attached to. */
export interface Recovered {
  session: LiveSession;
  /** Already running here (taken from an earlier resume of the same token): not to be opened again. */
  running: boolean;
}

/**
 * The server's sessions: it opens them, counts them, and, when resuming is on, keeps each one
 * `resumeWindowMs` after its connection goes, under a resume token, so a client can come back to it.
 */
export class SessionHost {
  private open = 0;
  private readonly all = new Set<LiveSession>();
  private readonly registry: SessionRegistry<LiveSession> | undefined;

  private readonly store: SessionStore | undefined;
  /** Per token key: the resume from the shared store under way, so the next one waits for it. */
  private readonly recovering = new Map<string, Promise<void>>();

  constructor(
    private readonly options: ResolvedOptions,
    readonly log: FrameLog,
  ) {
    this.store = options.resumeWindowMs > 0 ? options.sessionStore : undefined;
    this.registry =
      options.resumeWindowMs > 0
        ? new SessionRegistry<LiveSession>({
            windowMs: options.resumeWindowMs,
            maxSessions: options.maxSessions,
            onExpire: (session) => this.end(session),
          })
        : undefined;
  }

  /** Starts this process's lease in the shared store, if there is one. */
  async start(): Promise<void> {
    await this.store?.start((sessionId) => this.surrender(sessionId));
  }

  /** Sessions are kept for resuming (`resumeWindowMs` > 0). */
  get resumable(): boolean {
    return this.registry !== undefined;
  }

  /** AgentSessions open now, attached or waiting for their client. */
  get activeSessions(): number {
    return this.open;
  }

  /** Sessions waiting for their client to come back. */
  get detachedSessions(): number {
    return this.registry?.detached ?? 0;
  }

  create(context: ConnectionContext, holder: object, restored?: Restored): LiveSession {
    const store = this.store;
    const session = new LiveSession(
      context,
      this.options,
      {
        sessionOpened: () => this.open++,
        sessionClosed: () => this.open--,
        record: store === undefined ? undefined : (id, entry) => store.record(id, entry),
      },
      this.registry === undefined ? undefined : this.log,
      restored,
    );
    session.holder = holder;
    this.all.add(session);
    return session;
  }

  /**
   * Keeps a started session for resuming; returns its token, for the client only. Undefined when
   * resuming is off, or every slot is held by an attached session.
   */
  register(session: LiveSession, identity: string | undefined): string | undefined {
    if (this.registry === undefined || session.isClosed) return undefined;
    const token = createResumeToken();
    const key = tokenKey(token);
    return this.registerUnder(key, session, identity) ? token : undefined;
  }

  private registerUnder(key: string, session: LiveSession, identity: string | undefined): boolean {
    if (this.registry === undefined || !this.registry.add(key, session, identity)) return false;
    session.key = key;
    this.share(key, session, identity);
    return true;
  }

  /** Tells the shared store this process holds the session, attached (its token outlives no window). */
  private share(key: string, session: LiveSession, identity: string | undefined): void {
    this.store?.register(key, {
      sessionId: session.id,
      owner: this.store.processId,
      identity: identityDigest(identity).toString('hex'),
    });
  }

  /**
   * A token this process does not hold, resumed from the shared store: the session another
   * process held (one that died, or one asked to give it up). The client gets every frame that
   * process logged after `after`, then `turn_lost` for each message it left unanswered, then a new
   * session, rebuilt from the conversation, that numbers on from there. Undefined when the token
   * does not resume (unknown, another identity's, or still held by a process that will not let go).
   *
   * Resumes of one token serialize here: the first takes the session over, each next one takes it
   * from the one before (which is told it was replaced, as a local takeover does). `running` says
   * the session was already running here (the caller must not open it again).
   */
  recover(
    token: string,
    identity: string | undefined,
    holder: object,
    after: number,
    context: ConnectionContext,
    target: FrameSink,
    ready: ReadyFrame,
  ): Promise<Recovered | undefined> {
    const key = tokenKey(token);
    const previous = this.recovering.get(key) ?? Promise.resolve();
    const result = previous.then(() =>
      this.recoverNow(key, token, identity, holder, after, context, target, ready),
    );
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.recovering.set(key, settled);
    void settled.then(() => {
      if (this.recovering.get(key) === settled) this.recovering.delete(key);
    });
    return result;
  }

  private async recoverNow(
    key: string,
    token: string,
    identity: string | undefined,
    holder: object,
    after: number,
    context: ConnectionContext,
    target: FrameSink,
    ready: ReadyFrame,
  ): Promise<Recovered | undefined> {
    const store = this.store;
    if (store === undefined || this.registry === undefined) return undefined;
    let found = await store.find(key);
    const expected = Buffer.from(found?.identity ?? '', 'hex');
    const presented = identityDigest(identity);
    const same = expected.length === presented.length && timingSafeEqual(expected, presented);
    if (found === undefined || !same) return undefined;
    if (found.owner === store.processId) {
      // Ours (an earlier resume of this token took it over, or it raced back): a local takeover.
      const session = this.claim(token, identity, holder);
      if (session !== undefined) {
        void session.channel.resume(target, after, ready);
        return { session, running: true };
      }
    }
    if (found.owner !== '' && found.owner !== store.processId && (await store.isAlive(found.owner))) {
      const owner = found.owner;
      await store.requestTakeover(owner, found.sessionId);
      // The owner gives it up at its next lease renewal; a dead one's lease runs out.
      const deadline = Date.now() + 3 * store.leaseMs + 1_000;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, TAKEOVER_POLL_MS));
        found = await store.find(key);
        if (found === undefined) return undefined;
        if (found.owner !== owner || !(await store.isAlive(owner))) break;
      }
      if (found.owner === owner && (await store.isAlive(owner))) return undefined;
    }
    const oldId = found.sessionId;
    const [read, conversation, turnFrames] = await Promise.all([
      this.log.read(oldId, after),
      store.conversation(oldId),
      this.log.turnFrames?.(oldId),
    ]);
    const lastSeq = Math.max(after, read.frames.at(-1)?.seq ?? 0, turnFrames?.at(-1)?.seq ?? 0);
    const session = this.create(context, holder, { conversation, seq: lastSeq });
    if (!this.registerUnder(key, session, identity)) {
      void this.end(session);
      return undefined;
    }
    // The new session starts with its predecessor's conversation on record.
    for (const entry of conversation) store.record(session.id, entry);
    target.send(ready);
    // The new log holds them too, in case this client drops again before it has them all.
    for (const frame of read.frames) this.log.append(session.id, frame);
    // The new session knows the last turns as the old one did: it restates them as it would.
    for (const frame of turnFrames ?? []) session.channel.snapshot.observe(frame);
    if (read.gap && turnFrames !== undefined) {
      // From before what the log holds: as the local path does, say so and restate what the
      // client lacks of the last turns, from the turns the log keeps whole.
      target.send(errorFrame('resume_gap'));
      for (const frame of session.channel.snapshot.catchUp(after)) target.send(frame);
    } else {
      if (read.gap) target.send(errorFrame('resume_gap'));
      for (const frame of read.frames) target.send(frame as SequencedFrame);
    }
    session.channel.attach(target);
    const answered = new Set(conversation.filter((e) => e.kind === 'outcome').map((e) => e.id));
    for (const entry of conversation) {
      if (entry.kind === 'input' && !answered.has(entry.id)) {
        session.channel.send(errorFrame('turn_lost', entry.id));
      }
    }
    return { session, running: false };
  }

  /** Another process resumes a session this one holds: end it here, keeping what is shared. */
  private surrender(sessionId: string): void {
    for (const session of this.all) {
      if (session.id !== sessionId) continue;
      session.evict?.();
      if (session.key !== undefined) this.store?.release(session.key);
      void this.end(session, true);
    }
  }

  /** The session a token names, for this identity; undefined for any token that does not resume. */
  claim(token: string, identity: string | undefined, holder: object): LiveSession | undefined {
    const session = this.registry?.claim(tokenKey(token), identity);
    if (session === undefined || session.isClosed) return undefined;
    if (session.holder !== undefined && session.holder !== holder) session.evict?.();
    // Back from a detach: the store's copy of the token no longer expires with the window.
    if (session.holder === undefined && session.key !== undefined) this.share(session.key, session, identity);
    session.holder = holder;
    return session;
  }

  /** `holder`'s connection went: the session waits for its client, or ends when it cannot resume. */
  release(session: LiveSession, holder: object): void {
    if (session.holder !== holder) return;
    session.holder = undefined;
    if (this.registry === undefined || session.key === undefined || session.isClosed) {
      void this.end(session);
      return;
    }
    session.detached();
    this.registry.detach(session.key);
    this.windowStarts(session);
  }

  /**
   * The session has no client from now: its shared records last the resume window, kept by the
   * stores themselves, so it holds if this process closes or dies before the window is over.
   */
  private windowStarts(session: LiveSession): void {
    this.log.expire(session.id, this.options.resumeWindowMs);
    if (session.key !== undefined) this.store?.expire(session.key, this.options.resumeWindowMs);
  }

  /**
   * Closes a session. Its shared records go with it, unless `keepShared`: another process
   * resumes it from them (a takeover, or this process shutting down).
   */
  end(session: LiveSession, keepShared = false): Promise<void> {
    // Ended already (given up to another process, whose records these now are): once is enough.
    if (!this.all.has(session)) return session.close();
    if (session.key !== undefined) this.registry?.delete(session.key);
    if (!keepShared) {
      this.log.delete(session.id);
      if (session.key !== undefined) this.store?.forget(session.key, session.id);
    }
    this.all.delete(session);
    return session.close();
  }

  /**
   * Closes every session, attached or waiting. With a shared store they are released, not
   * forgotten: their clients resume them on another process.
   */
  async closeAll(): Promise<void> {
    this.registry?.clear();
    const keep = this.store !== undefined;
    if (keep) {
      for (const session of this.all) {
        if (session.key === undefined) continue;
        this.store!.release(session.key);
        // Its client is dropped now (a detached one's window started when it left).
        if (session.holder !== undefined) this.windowStarts(session);
      }
    }
    await Promise.all([...this.all].map((session) => this.end(session, keep)));
    await this.store?.stop();
  }
}
