import type { StreamReader } from '../stream-reader.js';
import type { EventFramer } from './event-frames.js';
import type { FrameSender } from './frame-sender.js';

export interface PumpOptions {
  reader: StreamReader;
  sender: FrameSender;
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
          sender.send(framer.frame(event, id));
          continue;
        }
        if (isFinished() || reader.done) break;
        if (reader.whenReadable(wake)) {
          state = 'idle';
          return;
        }
      }
    } catch {
      // Nothing here should throw; if something does, end this pump rather than the caller's call.
    }
    state = 'ended';
    finish();
  };
  // Only an idle pump is woken: a draining one resumes from `drained()`, a running one is looping.
  const wake = () => {
    if (state === 'idle') drive();
  };
  drive();
  return { done, nudge: wake };
}
