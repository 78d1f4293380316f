import { Waiters } from '../core/waiters.js';
import { errorFrame, type SequencedFrame, type ServerFrame } from '../protocol/frames.js';
import type { FrameLog } from './frame-log.js';
import type { FrameSink } from './frame-sender.js';
import { TurnSnapshot } from './turn-snapshot.js';

/**
 * A session's one way out: it numbers every frame, logs it, and hands it to the connection
 * attached now, if any. It stays open while the session lives, so a turn keeps running (and its
 * frames keep being logged) while the client is away. While it replays to a resuming client it
 * reports itself behind, so the turn's pump waits instead of overtaking the replay.
 */
export class SessionChannel implements FrameSink {
  private seq = 0;
  private target: FrameSink | undefined;
  /** Frames sent while a replay is under way, sent after it. */
  private held: SequencedFrame[] | undefined;
  private readonly drainWaiters = new Waiters();
  private closed = false;
  readonly snapshot = new TurnSnapshot();
  /** Called with each turn's `result` or `error` (with an id), once numbered. */
  onOutcome: ((frame: Extract<ServerFrame, { type: 'result' | 'error' }>) => void) | undefined;

  /** Without a log (resuming is off), frames go out as they are: no `seq`, nothing kept. */
  constructor(
    private readonly log: FrameLog | undefined,
    readonly sessionId: string,
  ) {}

  /** The seq of the newest frame sent. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Frames carry `seq` and are logged (resuming is on). */
  get numbered(): boolean {
    return this.log !== undefined;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get isBehind(): boolean {
    return this.held !== undefined || (this.target?.isBehind ?? false);
  }

  get isAttached(): boolean {
    return this.target !== undefined;
  }

  send(frame: ServerFrame): void {
    if (this.closed) return;
    if (this.log === undefined) {
      this.target?.send(frame);
      return;
    }
    const sequenced = frame as SequencedFrame;
    sequenced.seq = ++this.seq;
    this.snapshot.observe(sequenced);
    this.log.append(this.sessionId, sequenced);
    if (
      this.onOutcome !== undefined &&
      (sequenced.type === 'result' || (sequenced.type === 'error' && sequenced.id !== undefined))
    )
      this.onOutcome(sequenced);
    if (this.held !== undefined) this.held.push(sequenced);
    else this.target?.send(sequenced);
  }

  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.held !== undefined) return this.drainWaiters.wait();
    return this.target?.drained() ?? Promise.resolve();
  }

  /** A session rebuilt from another process's log numbers on from where that one stopped. */
  continueFrom(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }

  /** A fresh connection: live frames from now on. */
  attach(target: FrameSink): void {
    this.target = target;
    this.held = undefined;
    this.wake();
  }

  /**
   * A resuming connection that has every frame up to `after`: replays what it missed from the
   * log, or tells it of a gap and restates the current turn, then goes live. `before` is sent
   * first (the `ready`), unnumbered. No frame is lost or sent twice: live frames are held while
   * the log is read, then only those past the replay are sent.
   */
  async resume(target: FrameSink, after: number, before: ServerFrame): Promise<void> {
    this.target = target;
    const held: SequencedFrame[] = [];
    this.held = held;
    // Every frame up to here was appended before the read: the log must hand back all of them.
    const sentBefore = this.seq;
    let read: Awaited<ReturnType<FrameLog['read']>>;
    try {
      if (this.log === undefined) throw new Error('no log');
      read = await this.log.read(this.sessionId, after);
    } catch {
      read = { frames: [], gap: true };
    }
    // Another connection took over while the log was read: it replays for itself.
    if (this.target !== target || this.held !== held) return;
    this.held = undefined;
    target.send(before);
    if (after > this.seq) {
      // A client ahead of us (a seq from another life of the session): what it has cannot be
      // told, so it gets the turn in progress whole, and our frames number on past its seq (it
      // drops any frame numbered at or below the last one it saw).
      this.seq = after;
      target.send(errorFrame('resume_gap'));
      for (const frame of this.snapshot.restateCurrentTurn()) target.send(frame);
      this.wake();
      return;
    }
    const first = read.frames[0]?.seq ?? this.seq + 1;
    // The log lost the newest frames (appends that failed): a hole before the live ones.
    const lostTail = (read.frames.at(-1)?.seq ?? after) < sentBefore;
    if (read.gap || first > after + 1 || lostTail) {
      target.send(errorFrame('resume_gap'));
      for (const frame of this.snapshot.catchUp(after)) target.send(frame);
    } else {
      let last = after;
      for (const frame of read.frames) {
        if (frame.seq <= last) continue;
        target.send(frame);
        last = frame.seq;
      }
      for (const frame of held) if (frame.seq > last) target.send(frame);
    }
    this.wake();
  }

  /** The connection went: frames are only logged until another attaches. */
  detach(target: FrameSink): void {
    if (this.target !== target) return;
    this.target = undefined;
    this.held = undefined;
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.target = undefined;
    this.held = undefined;
    this.wake();
  }

  private wake(): void {
    this.drainWaiters.wake();
  }
}
