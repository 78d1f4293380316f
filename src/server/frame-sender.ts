import { WebSocket } from 'ws';
import type { ServerFrame } from '../protocol.js';
import { Waiters } from '../waiters.js';

/** Where a turn sends its frames: a socket's sender, or a session's channel that outlives sockets. */
export interface FrameSink {
  readonly isOpen: boolean;
  readonly isBehind: boolean;
  send(frame: ServerFrame): void;
  drained(): Promise<void>;
}

/** The TCP (or TLS) socket under a WebSocket: what the upgrade request came in on. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

/**
 * The one way frames reach a client's socket. It knows when the socket is behind, so callers can
 * stop pulling events (and let the reader merge them) instead of queueing frames without bound.
 *
 * Frames sent in one tick leave in one write: the first send of a tick corks the TCP socket and a
 * `nextTick` uncorks it, so a burst (a fast model, a replay, a loop catching up after a stall) costs
 * one `writev` instead of one per frame. `ws` writes each frame as header + payload inside its own
 * cork/uncork; corks nest, so ours holds them all until the tick ends. Nothing waits longer than
 * the current tick: a lone frame at model pace goes out exactly as before.
 */
export class FrameSender implements FrameSink {
  private readonly drainWaiters = new Waiters();
  private readonly lowWaterMark: number;
  private corked = false;
  // One shared callback: ws calls it as each frame is handed to the kernel.
  private readonly onWritten = () => {
    if (this.drainWaiters.size > 0 && (!this.isOpen || this.socket.bufferedAmount <= this.lowWaterMark)) {
      this.drainWaiters.wake();
    }
  };
  private readonly uncork = () => {
    this.corked = false;
    this.transport?.uncork();
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly highWaterMark: number,
    /** The socket under `socket`, to batch a tick's frames; without it every frame is its own write. */
    private readonly transport?: Corkable,
  ) {
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

  send(frame: ServerFrame): void {
    if (!this.isOpen) return;
    if (!this.corked && this.transport !== undefined && !this.transport.destroyed) {
      this.corked = true;
      this.transport.cork();
      process.nextTick(this.uncork);
    }
    this.socket.send(JSON.stringify(frame), this.onWritten);
  }

  /** Resolves once the socket has caught up, or has closed. */
  drained(): Promise<void> {
    if (!this.isOpen || !this.isBehind) return Promise.resolve();
    return this.drainWaiters.wait();
  }
}
