import type { SequencedFrame } from '../protocol/frames.js';

/**
 * Finished turns kept whole (their text and tool steps) to restate after a gap, the newest first.
 * A client that drops while a turn ends and comes back from before what the log holds gets that
 * turn's steps again, not only its `result`. A turn's text can be long, so only the last few keep
 * their own copy; a session's older turns are restated from their `result`, which has the same.
 */
export const TEXTS_KEPT = 2;

/** What a log holds of one session's frames after a given `seq`. */
export interface FrameLogRead {
  /** The frames logged after the requested seq and still held, oldest first. */
  frames: SequencedFrame[];
  /**
   * True when frames after the requested seq were dropped by the log's bound, or lost: `frames`
   * does not start right after it, or skips a seq.
   */
  gap: boolean;
}

/**
 * The numbered frames of each session, so a client that comes back can be sent what it missed.
 * Bounded per session; a session's frames are forgotten once it has expired.
 *
 * `append` is fire-and-forget and keeps order: a `read` issued after an `append` sees it. The
 * server calls it once per frame on its send path, so it must be cheap and must not throw.
 */
export interface FrameLog {
  append(sessionId: string, frame: SequencedFrame): void;
  /**
   * Frames with `seq > after`, contiguous: a log that lost some (a bound, a Redis that restarted
   * without the writes it had not persisted, an append that failed) says `gap` and returns only
   * the run after the last hole. Implementations pass what they hold through `contiguousRead`.
   */
  read(sessionId: string, after: number): Promise<FrameLogRead>;
  /**
   * Optional, for a log shared by processes: the frames a `TurnSnapshot` needs to restate the
   * last few turns (their text-bearing frames and outcomes), whatever the log's bound dropped.
   * Another process that resumes a session from before what the log holds restates the turn
   * from them. A log without it only says `resume_gap` there.
   */
  turnFrames?(sessionId: string): Promise<SequencedFrame[]>;
  /** The session is detached: forget its frames `ms` from now unless touched again. */
  expire(sessionId: string, ms: number): void;
  /** The session is gone: forget its frames now. */
  delete(sessionId: string): void;
}

/**
 * What a log read hands out: the frames after `after`, checked for holes in their seq. The first
 * must be `after + 1` and each next one more; wherever that fails frames were lost, so the read
 * says `gap` and keeps only the frames after the last hole (a replay never skips a seq unsaid).
 * `gap` is also true when the store itself knows it dropped some (`dropped`).
 */
export function contiguousRead(frames: SequencedFrame[], after: number, dropped = false): FrameLogRead {
  let start = 0;
  let expected = after + 1;
  let gap = dropped;
  for (let i = 0; i < frames.length; i++) {
    const seq = frames[i]!.seq;
    if (seq !== expected) {
      gap = true;
      start = i;
    }
    expected = seq + 1;
  }
  return { frames: start === 0 ? frames : frames.slice(start), gap };
}

/** The frames a `TurnSnapshot` learns from: text, tool steps, and each turn's outcome. */
export function isTurnFrame(frame: SequencedFrame): boolean {
  switch (frame.type) {
    case 'delta':
    case 'complete':
    case 'tool_call':
    case 'tool_output':
    case 'result':
      return true;
    case 'error':
      return frame.id !== undefined;
    default:
      return false;
  }
}

/**
 * What a frame weighs in the log, in UTF-16 code units of its JSON, estimated without stringifying
 * the text-bearing frames (one per delta, so this is on the hot path).
 */
export function frameSize(frame: SequencedFrame): number {
  // 64: the keys, quotes and numbers around the text.
  const id = 'id' in frame && frame.id !== undefined ? frame.id.length : 0;
  switch (frame.type) {
    case 'delta':
      return 64 + id + frame.delta.length + (frame.accumulated?.length ?? 0);
    case 'complete':
      return 64 + id + frame.text.length;
    default:
      return JSON.stringify(frame).length;
  }
}

/**
 * The frame as the log keeps it: a delta's `accumulated` is dropped, so a session's log grows with
 * its text, not with the square of it (a client rebuilds `accumulated` from the deltas).
 */
export function loggedForm(frame: SequencedFrame): SequencedFrame {
  if (frame.type !== 'delta') return frame;
  // A merged delta is a slice of the reply so far, and V8 keeps a long slice as a view that holds
  // the whole parent string: copy it, so a logged delta holds only its own text. (An object
  // literal, not a rest spread: this runs once per delta.)
  const delta = frame.delta.length >= 13 ? detached(frame.delta) : frame.delta;
  const kept: SequencedFrame =
    frame.id === undefined
      ? { type: 'delta', delta, generation: frame.generation, seq: frame.seq }
      : { type: 'delta', delta, generation: frame.generation, id: frame.id, seq: frame.seq };
  if (frame.restate) (kept as { restate?: boolean }).restate = true;
  return kept;
}

/** Adds a turn frame; at a turn's end, drops what came before the last `TEXTS_KEPT` turns. */
function keepTurn(turns: SequencedFrame[], frame: SequencedFrame): void {
  turns.push(frame);
  if (frame.type !== 'result' && frame.type !== 'error') return;
  let seen = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const type = turns[i]!.type;
    if ((type === 'result' || type === 'error') && ++seen > TEXTS_KEPT) {
      turns.splice(0, i + 1);
      return;
    }
  }
}

/** A flat copy of `text` that shares no storage with the string it was sliced from. */
function detached(text: string): string {
  return ` ${text}`.slice(1);
}

export interface MemoryFrameLogOptions {
  /** Frame bytes kept per session (JSON code units); the oldest frames go first. Default 256 KiB. */
  maxBytes?: number;
  /**
   * Also keep the last turns whole (`turnFrames`), for other processes that resume from it (the
   * log `runWorkers` shares). Default false: a server's own log needs none (its sessions restate
   * from their own snapshot).
   */
  keepTurns?: boolean;
}

interface SessionFrames {
  frames: SequencedFrame[];
  sizes: number[];
  /** Index of the oldest frame still held (the array is compacted now and then, not per drop). */
  head: number;
  bytes: number;
  /** Seq of the newest frame dropped by the bound: 0 while none was. */
  dropped: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** With `keepTurns`: the last turns' text-bearing frames and outcomes. */
  turns: SequencedFrame[];
}

/** The default log: in this process's memory, bounded by bytes per session. No dependency. */
export class MemoryFrameLog implements FrameLog {
  readonly maxBytes: number;
  private readonly sessions = new Map<string, SessionFrames>();
  private readonly keepTurns: boolean;
  readonly turnFrames?: (sessionId: string) => Promise<SequencedFrame[]>;

  constructor(options: MemoryFrameLogOptions = {}) {
    this.keepTurns = options.keepTurns === true;
    if (this.keepTurns) {
      this.turnFrames = (sessionId) => Promise.resolve(this.turnFramesNow(sessionId));
    }
    const maxBytes = options.maxBytes ?? 256 * 1024;
    if (typeof maxBytes !== 'number' || !Number.isFinite(maxBytes) || maxBytes < 1) {
      throw new RangeError(`MemoryFrameLog: \`maxBytes\` must be a number >= 1, got ${String(maxBytes)}`);
    }
    this.maxBytes = maxBytes;
  }

  /** Sessions with frames held: for tests and metrics. */
  get size(): number {
    return this.sessions.size;
  }

  /** Bytes held for a session (estimated as in `frameSize`). */
  bytesOf(sessionId: string): number {
    return this.sessions.get(sessionId)?.bytes ?? 0;
  }

  append(sessionId: string, frame: SequencedFrame): void {
    let held = this.sessions.get(sessionId);
    if (held === undefined) {
      held = { frames: [], sizes: [], head: 0, bytes: 0, dropped: 0, timer: undefined, turns: [] };
      this.sessions.set(sessionId, held);
    } else if (held.timer !== undefined) {
      clearTimeout(held.timer);
      held.timer = undefined;
    }
    const kept = loggedForm(frame);
    const size = frameSize(kept);
    held.frames.push(kept);
    held.sizes.push(size);
    held.bytes += size;
    while (held.bytes > this.maxBytes && held.head < held.frames.length) {
      held.bytes -= held.sizes[held.head]!;
      held.dropped = held.frames[held.head]!.seq;
      held.head++;
    }
    if (this.keepTurns && isTurnFrame(kept)) keepTurn(held.turns, kept);
    // Compact once the dropped prefix is as long as what is held: amortised O(1) per frame.
    if (held.head > 64 && held.head * 2 > held.frames.length) {
      held.frames = held.frames.slice(held.head);
      held.sizes = held.sizes.slice(held.head);
      held.head = 0;
    }
  }

  read(sessionId: string, after: number): Promise<FrameLogRead> {
    return Promise.resolve(this.readNow(sessionId, after));
  }

  /** `turnFrames` without the promise (empty without `keepTurns`). */
  turnFramesNow(sessionId: string): SequencedFrame[] {
    return [...(this.sessions.get(sessionId)?.turns ?? [])];
  }

  /** `read` without the promise: the in-process server replays in the same tick as it attaches. */
  readNow(sessionId: string, after: number): FrameLogRead {
    const held = this.sessions.get(sessionId);
    if (held === undefined) return { frames: [], gap: false };
    // Seqs only grow: the first frame after `after` is found by bisection, so a listener that
    // reads a long turn a little at a time does not rescan it on every read.
    let low = held.head;
    let high = held.frames.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (held.frames[mid]!.seq > after) high = mid;
      else low = mid + 1;
    }
    const frames = held.frames.slice(low);
    return contiguousRead(frames, after, held.dropped > after);
  }

  expire(sessionId: string, ms: number): void {
    const held = this.sessions.get(sessionId);
    if (held === undefined) return;
    clearTimeout(held.timer);
    held.timer = setTimeout(() => this.sessions.delete(sessionId), ms);
    held.timer.unref?.();
  }

  delete(sessionId: string): void {
    const held = this.sessions.get(sessionId);
    if (held === undefined) return;
    clearTimeout(held.timer);
    this.sessions.delete(sessionId);
  }
}
