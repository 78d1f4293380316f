import type { UIMessageChunk } from 'ai';

/**
 * Every chunk of one assistant message, in order, numbered from 0: the record a listener (a
 * socket's request, an SSE response) reads from its own position. Replaying a turn from the start
 * is reading from 0; a listener that falls behind just reads later. Kept until the chat's next
 * turn replaces it, so its size follows the reply.
 */
export class TurnLog {
  readonly chunks: UIMessageChunk[] = [];
  private ended = false;
  /** Set once some listener has read the whole turn, end included. */
  delivered = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly messageId: string) {}

  get isEnded(): boolean {
    return this.ended;
  }

  push(chunks: readonly UIMessageChunk[]): void {
    if (this.ended || chunks.length === 0) return;
    for (const chunk of chunks) this.chunks.push(chunk);
    this.notify();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.notify();
  }

  /** `onChange` runs after each push and at the end. Returns the unsubscribe. */
  listen(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  private notify(): void {
    // A Set's iteration tolerates a listener removing itself; no copy per chunk.
    for (const listener of this.listeners) listener();
  }
}

export interface ChunkOutlet {
  /** Writes one chunk with its sequence number. */
  write(chunk: UIMessageChunk, sequence: number): void;
  /** The turn ended and every chunk was written. */
  end(): void;
  /** True while the peer has too much unread; `whenDrained` says when to go on. */
  isBehind(): boolean;
  whenDrained(resume: () => void): void;
  isOpen(): boolean;
}

/**
 * Copies a turn's chunks to one outlet from `from` on, live, pausing while the outlet is behind.
 * Returns a stop function (the peer left, or aborted).
 */
export function follow(log: TurnLog, outlet: ChunkOutlet, from = 0): () => void {
  let next = from;
  let stopped = false;
  let waiting = false;
  const pump = () => {
    if (stopped || waiting) return;
    while (next < log.chunks.length) {
      if (!outlet.isOpen()) return stop();
      if (outlet.isBehind()) {
        waiting = true;
        outlet.whenDrained(() => {
          waiting = false;
          pump();
        });
        return;
      }
      outlet.write(log.chunks[next]!, next);
      next++;
    }
    if (log.isEnded) {
      stop();
      log.delivered = true;
      outlet.end();
    }
  };
  const unlisten = log.listen(pump);
  const stop = () => {
    stopped = true;
    unlisten();
  };
  pump();
  return stop;
}
