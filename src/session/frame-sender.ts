import { WebSocket } from 'ws';
import { Waiters } from '../core/waiters.js';
import type { ServerFrame } from '../protocol/frames.js';
import { type Corkable, tickCork } from './tick-cork.js';

/**
 * Where a turn sends its frames: a socket's sender, or a session's channel that outlives sockets.
 * `Frame`: the protocol's frames, or another front end's (the AI SDK's WebSocket responses).
 */
export interface FrameSink<Frame = ServerFrame> {
  readonly isOpen: boolean;
  readonly isBehind: boolean;
  send(frame: Frame): void;
  drained(): Promise<void>;
}

/**
 * Which frames the delivery window may merge, and how. A front end with its own frame shapes (the
 * AI SDK's `text-delta` chunks) passes its own; the default is this package's protocol.
 */
export interface DeltaMerge<F> {
  /** A text delta: it may wait in the window. Every other frame sends what waits first. */
  isDelta(frame: F): boolean;
  /**
   * `held` and `next` as one frame, or undefined when they do not belong together (another
   * generation or turn). `owned`: `held` is the window's own copy and may be changed in place;
   * otherwise it may be shared (a session's frame log keeps it) and must not be.
   */
  merge(held: F, next: F, owned: boolean): F | undefined;
}

/**
 * Our protocol's deltas: consecutive `delta` frames of one generation and turn become one, its
 * `delta` their concatenation, its `accumulated` (and `seq`) the newest's, so both stay true. A
 * `restate` delta replaces the text rather than adding to it, so it never merges.
 */
export const protocolDeltaMerge: DeltaMerge<ServerFrame> = {
  isDelta: (frame) => frame.type === 'delta',
  merge(held, next, owned) {
    if (held.type !== 'delta' || next.type !== 'delta') return undefined;
    if (held.generation !== next.generation || held.id !== next.id || held.restate || next.restate)
      return undefined;
    const merged = owned ? held : { ...held };
    merged.delta += next.delta;
    if (next.accumulated === undefined) delete merged.accumulated;
    else merged.accumulated = next.accumulated;
    const seq = (next as { seq?: number }).seq;
    if (seq !== undefined) (merged as { seq?: number }).seq = seq;
    return merged;
  },
};

/** Options of one socket's sender. */
export interface FrameSenderOptions<F = ServerFrame> {
  /** The socket under the WebSocket, to batch a tick's frames; without it every frame is its own write. */
  transport?: Corkable | undefined;
  /**
   * The delivery window: a delta that comes within this many milliseconds of the one before it
   * waits, and the deltas that wait leave together, as one frame in one write, this long after
   * the last delta frame went out. A delta after a longer pause leaves at once, so a model slower
   * than one delta per window (50 a second against a 16 ms window) is held only when a busy loop
   * hands its deltas over bunched. Anything else (a `complete`, a tool step, a `result`, an
   * `error`) sends what waits first, then goes out at once. 0 (default): every delta leaves in its
   * own tick, as it comes.
   */
  coalesceMs?: number;
  /** Which frames merge, and how (default: this package's protocol). */
  merge?: DeltaMerge<F>;
}

/**
 * The one way frames reach a client's socket. It knows when the socket is behind, so callers can
 * stop pulling events (and let the reader merge them) instead of queueing frames without bound.
 * Frames sent in one tick leave in one write (`tickCork`); with `coalesceMs`, the deltas of a
 * window leave as one frame.
 */
export class FrameSender<Frame = ServerFrame> implements FrameSink<Frame> {
  private readonly drainWaiters = new Waiters();
  private readonly lowWaterMark: number;
  private readonly holdForTick: () => void;
  private readonly coalesceMs: number;
  private readonly deltas: DeltaMerge<Frame>;
  /** The deltas waiting for the window to end, merged into one frame. */
  private held: Frame | undefined;
  private heldOwned = false;
  private windowTimer: NodeJS.Timeout | undefined;
  /** When the last delta came: the next one waits if it comes within `coalesceMs` of it. */
  private lastDeltaAt = Number.NEGATIVE_INFINITY;
  /** When the last delta frame went out: what waits leaves `coalesceMs` after it. */
  private lastSentAt = Number.NEGATIVE_INFINITY;
  // One shared callback: ws calls it as each frame is handed to the kernel.
  private readonly onWritten = () => {
    if (this.drainWaiters.size > 0 && (!this.isOpen || this.socket.bufferedAmount <= this.lowWaterMark)) {
      this.drainWaiters.wake();
    }
  };
  private readonly endWindow = () => {
    this.windowTimer = undefined;
    this.sendHeld();
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly highWaterMark: number,
    /** The socket under `socket` (see `FrameSenderOptions.transport`), or the options. */
    transportOrOptions?: Corkable | FrameSenderOptions<Frame>,
  ) {
    const options: FrameSenderOptions<Frame> =
      transportOrOptions !== undefined && 'cork' in transportOrOptions
        ? { transport: transportOrOptions }
        : (transportOrOptions ?? {});
    this.holdForTick = tickCork(options.transport);
    this.coalesceMs = options.coalesceMs ?? 0;
    this.deltas = options.merge ?? (protocolDeltaMerge as unknown as DeltaMerge<Frame>);
    this.lowWaterMark = Math.floor(highWaterMark / 2);
    socket.once('close', () => {
      // Nothing can reach this client now; a session that outlives it replays from its log.
      clearTimeout(this.windowTimer);
      this.windowTimer = undefined;
      this.held = undefined;
      this.drainWaiters.wake();
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** The client is not keeping up: more than `highWaterMark` bytes are queued for it. */
  get isBehind(): boolean {
    return this.socket.bufferedAmount > this.highWaterMark;
  }

  send(frame: Frame): void {
    if (!this.isOpen) return;
    if (this.coalesceMs > 0) {
      if (this.deltas.isDelta(frame)) {
        this.hold(frame);
        return;
      }
      // Nothing overtakes text that waits; and what follows it starts a fresh window.
      this.sendHeld();
      this.lastDeltaAt = Number.NEGATIVE_INFINITY;
      this.lastSentAt = Number.NEGATIVE_INFINITY;
    }
    this.write(frame);
  }

  /** Sends the deltas waiting in the window now (before a close the server itself makes). */
  flush(): void {
    this.sendHeld();
  }

  /** Resolves once the socket has caught up, or has closed. */
  drained(): Promise<void> {
    if (!this.isOpen || !this.isBehind) return Promise.resolve();
    return this.drainWaiters.wait();
  }

  private hold(frame: Frame): void {
    const now = performance.now();
    const sinceLast = now - this.lastDeltaAt;
    this.lastDeltaAt = now;
    if (this.held !== undefined) {
      const merged = this.deltas.merge(this.held, frame, this.heldOwned);
      if (merged !== undefined) {
        this.held = merged;
        this.heldOwned = true;
        // The window is over (its timer is late: a busy loop): go now, not at the timer.
        if (now - this.lastSentAt >= this.coalesceMs) this.sendHeld();
        return;
      }
      // Another generation's delta: what waits goes first, and this one waits in a new window.
      this.sendHeld();
    } else if (sinceLast >= this.coalesceMs) {
      // Deltas slower than the window (a model's pace, or the first after a pause) go at once:
      // the window costs them no time and no timer.
      this.lastSentAt = now;
      this.write(frame);
      return;
    }
    this.held = frame;
    this.heldOwned = false;
    // A whole number of ms: Node keeps one timer list per distinct delay, and a fractional delay
    // would make a new list for nearly every window.
    this.windowTimer ??= setTimeout(
      this.endWindow,
      Math.max(1, Math.ceil(this.lastSentAt + this.coalesceMs - now)),
    );
  }

  private sendHeld(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    const held = this.held;
    if (held === undefined) return;
    this.held = undefined;
    this.lastSentAt = performance.now();
    if (this.isOpen) this.write(held);
  }

  private write(frame: Frame): void {
    this.holdForTick();
    this.socket.send(JSON.stringify(frame), this.onWritten);
  }
}
