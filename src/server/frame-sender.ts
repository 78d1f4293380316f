import { WebSocket } from 'ws';
import type { ServerFrame } from '../protocol.js';
import { Waiters } from '../waiters.js';
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
 * The one way frames reach a client's socket. It knows when the socket is behind, so callers can
 * stop pulling events (and let the reader merge them) instead of queueing frames without bound.
 * Frames sent in one tick leave in one write (`tickCork`).
 */
export class FrameSender<Frame = ServerFrame> implements FrameSink<Frame> {
  private readonly drainWaiters = new Waiters();
  private readonly lowWaterMark: number;
  private readonly holdForTick: () => void;
  // One shared callback: ws calls it as each frame is handed to the kernel.
  private readonly onWritten = () => {
    if (this.drainWaiters.size > 0 && (!this.isOpen || this.socket.bufferedAmount <= this.lowWaterMark)) {
      this.drainWaiters.wake();
    }
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly highWaterMark: number,
    /** The socket under `socket`, to batch a tick's frames; without it every frame is its own write. */
    transport?: Corkable,
  ) {
    this.holdForTick = tickCork(transport);
    this.lowWaterMark = Math.floor(highWaterMark / 2);
    socket.once('close', () => this.drainWaiters.wake());
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
    this.holdForTick();
    this.socket.send(JSON.stringify(frame), this.onWritten);
  }

  /** Resolves once the socket has caught up, or has closed. */
  drained(): Promise<void> {
    if (!this.isOpen || !this.isBehind) return Promise.resolve();
    return this.drainWaiters.wait();
  }
}
