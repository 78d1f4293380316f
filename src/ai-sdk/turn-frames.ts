import type { voice } from '@livekit/agents';
import type { StreamEvent } from '../core/events.js';
import type { StreamReader } from '../core/stream-reader.js';
import type { StreamingTextOutput } from '../core/streaming-text-output.js';
import { EventFramer } from '../session/event-frames.js';
import type { FrameSender } from '../session/frame-sender.js';
import { Turn } from '../session/turn.js';
import type { TurnFrame } from './ui-chunks.js';

export interface TurnSource {
  session: voice.AgentSession;
  output: StreamingTextOutput<StreamEvent>;
  reader: StreamReader;
  turnTimeoutMs: number;
  onError: (error: unknown, where: string) => void;
}

export interface PlayingTurn {
  /** Stops the agent's generation; the turn still ends with its result (interrupted). */
  interrupt(): void;
  /** The chat is closing: stop the run and stop waiting for it; no more frames. */
  abandon(): void;
  /** Resolves once the turn's last frame has been handed to `onFrame`. */
  readonly done: Promise<void>;
}

/**
 * The seam between the AI SDK adapter and the server's own turn logic: one message's turn, played
 * by `src/session/turn.ts` exactly as for our WebSocket protocol, with its frames handed to
 * `onFrame` instead of a socket. Nothing here decides where a turn starts or ends.
 *
 * The sink never reports back-pressure: the chat keeps each turn's chunks for replay anyway, and
 * each listener paces itself from that log.
 */
export function playTurn(
  source: TurnSource,
  message: string,
  onFrame: (frame: TurnFrame) => void,
  isOpen: () => boolean,
): PlayingTurn {
  const sink = {
    get isOpen() {
      return isOpen();
    },
    isBehind: false,
    send: (frame: TurnFrame) => onFrame(frame),
    drained: () => Promise.resolve(),
  };
  const turn = new Turn(
    {
      session: source.session,
      output: source.output,
      reader: source.reader,
      // The same surface as a socket's sender; FrameSender is a class, so it is cast.
      sender: sink as unknown as FrameSender,
      framer: new EventFramer(false),
      turnTimeoutMs: source.turnTimeoutMs,
      onError: source.onError,
    },
    message,
    undefined,
  );
  return { interrupt: () => turn.interrupt(), abandon: () => turn.abandon(), done: turn.answer() };
}
