import type { StreamReader } from '../core/stream-reader.js';
import type { EventFramer } from './event-frames.js';
import type { FrameSink } from './frame-sender.js';

export interface PumpOptions {
  reader: StreamReader;
  sender: FrameSink;
  framer: EventFramer;
  /** Echoed on every frame. */
  id: string | undefined;
  /** Checked whenever the reader is empty: true ends the pump. Call `nudge()` when it may have changed. */
  isFinished: () => boolean;
}

export interface Pump {
  /** Resolves when the pump has ended: finished and drained, or the socket closed. */
  readonly done: Promise<void>;
  /** Wakes an idle pump to check `isFinished` again. Cheap; call it as often as needed. */
  nudge(): void;
}

/**
 * Moves events from a reader to a socket, one at a time, and only while the socket keeps up.
 * While the client is behind, nothing is pulled, so the reader's buffer merges the deltas that
 * pile up: memory follows the text, and the client still gets all of it.
 *
 * Callback-driven, not an async loop: a new event wakes the pump from inside `captureText`, and the
 * frame goes out in the same call, with no promise, timer or task per delta. That keeps the
 * latency and the garbage per delta close to a bare `ws.send`.
 */
export function startPump({ reader, sender, framer, id, isFinished }: PumpOptions): Pump {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let state: 'running' | 'idle' | 'draining' | 'ended' = 'running';
  const send = (frame: Parameters<FrameSink['send']>[0]) => sender.send(frame);
  // A delta the framer holds back (its `accumulated` budget is spent) goes out by this timer at the
  // latest, so a model that pauses mid-generation does not leave text unsent.
  let holdTimer: NodeJS.Timeout | undefined;
  const releaseHeld = () => {
    holdTimer = undefined;
    // A draining pump sets a new timer once it is idle again; an ended one has flushed already.
    if (state === 'idle') framer.flush(id, send);
  };

  const drive = (): void => {
    state = 'running';
    try {
      for (;;) {
        if (!sender.isOpen) break;
        if (sender.isBehind) {
          state = 'draining';
          void sender.drained().then(drive);
          return;
        }
        const event = reader.tryNext();
        if (event !== undefined) {
          framer.push(event, id, send);
          continue;
        }
        if (isFinished() || reader.done) {
          framer.flush(id, send);
          break;
        }
        if (reader.whenReadable(wake)) {
          state = 'idle';
          const due = framer.pendingDueInMs();
          if (due !== undefined && holdTimer === undefined) holdTimer = setTimeout(releaseHeld, due);
          return;
        }
      }
    } catch {
      // Nothing here should throw; if something does, end this pump rather than the caller's call.
    }
    state = 'ended';
    clearTimeout(holdTimer);
    finish();
  };
  // Only an idle pump is woken: a draining one resumes from `drained()`, a running one is looping.
  const wake = () => {
    if (state === 'idle') drive();
  };
  drive();
  return { done, nudge: wake };
}
