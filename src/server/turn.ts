import { voice } from '@livekit/agents';
import type { ErrorCode, ResultFrame } from '../protocol.js';
import { errorFrame } from '../protocol.js';
import type { StreamReader } from '../stream-reader.js';
import type { StreamingTextOutput } from '../streaming-text-output.js';
import type { EventFramer } from './event-frames.js';
import { startPump } from './event-pump.js';
import type { FrameSender } from './frame-sender.js';
import { toResultEvents } from './run-events.js';

export interface TurnContext {
  session: voice.AgentSession;
  output: StreamingTextOutput;
  /** This connection's reader of `output`. */
  reader: StreamReader;
  sender: FrameSender;
  framer: EventFramer;
  turnTimeoutMs: number;
  onError: (error: unknown, where: string) => void;
}

/** How long a run may take to wind down after the timeout interrupted it. */
const TIMEOUT_GRACE_MS = 5_000;
/**
 * A forced interrupt can complete the run a moment before the framework flushes the generation it
 * cut; the turn waits that long at most for the flush, so the cut text stays in its own turn.
 */
const LATE_FLUSH_GRACE_MS = 2_000;

/**
 * One message's turn: the whole `session.run()`, every generation of it (a tool call makes
 * several), then its `result`. The boundary is the run's completion, not the first flush: the
 * framework flushes each generation before the run completes, so once it has completed and no
 * generation is open, every event of this turn is in the reader, and none of the next turn can be.
 * A model failure the framework reports as a session `error` ends the turn with `run_failed`
 * after the partial text, instead of a `result`.
 */
export class Turn {
  private interrupted = false;
  private readonly run: voice.testing.RunResult | undefined;
  private readonly startError: unknown;

  constructor(
    private readonly ctx: TurnContext,
    message: string,
    private readonly id: string | undefined,
  ) {
    try {
      this.run = ctx.session.run({ userInput: message });
    } catch (error) {
      this.startError = error;
    }
  }

  /** Stops the generation in progress; the turn still ends with its complete and result. */
  interrupt(): void {
    this.interrupted = true;
    this.forceInterrupt();
  }

  async play(): Promise<void> {
    if (this.run === undefined) {
      this.ctx.onError(this.startError, 'session.run');
      this.sendError('run_failed');
      return;
    }
    let result: voice.testing.RunResult | undefined;
    let failure: Extract<ErrorCode, 'run_failed' | 'turn_timeout'> | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const onSessionError = (event: voice.ErrorEvent) => {
      // The framework reports a model that fails mid-stream here, and still completes the run.
      failure ??= 'run_failed';
      this.ctx.onError(event.error, 'model');
    };
    this.ctx.session.on(voice.AgentSessionEventTypes.Error, onSessionError);
    const finished = new Promise<void>((resolve) => {
      const settle = () => {
        settled = true;
        resolve();
      };
      this.run!.wait().then(
        (value) => {
          result = value;
          settle();
        },
        (error) => {
          this.ctx.onError(error, 'session.run');
          failure ??= 'run_failed';
          settle();
        },
      );
      timer = setTimeout(() => {
        failure = 'turn_timeout';
        this.forceInterrupt();
        // The interrupt normally completes the run at once; if even that hangs, answer anyway.
        timer = setTimeout(settle, TIMEOUT_GRACE_MS);
      }, this.ctx.turnTimeoutMs);
    });

    let flushDeadline: number | undefined;
    const turnOver = () => {
      if (!settled) return false;
      if (!this.ctx.output.isGenerating) return true;
      flushDeadline ??= performance.now() + LATE_FLUSH_GRACE_MS;
      return performance.now() > flushDeadline;
    };
    const pump = startPump({
      reader: this.ctx.reader,
      sender: this.ctx.sender,
      framer: this.ctx.framer,
      id: this.id,
      isFinished: turnOver,
    });
    // Once the run has finished, a generation it cut may still be flushed: look again until then.
    let latePoll: NodeJS.Timeout | undefined;
    let ended = false;
    void finished.then(() => {
      if (ended) return;
      pump.nudge();
      latePoll = setInterval(pump.nudge, 20);
    });
    try {
      await pump.done;
    } finally {
      ended = true;
      clearTimeout(timer);
      clearInterval(latePoll);
      this.ctx.session.off(voice.AgentSessionEventTypes.Error, onSessionError);
    }
    if (!settled) return; // the client is gone
    if (failure !== undefined || result === undefined) this.sendError(failure ?? 'run_failed');
    else this.sendResult(result);
  }

  private sendResult(result: voice.testing.RunResult): void {
    const events = toResultEvents(result.events);
    const frame: ResultFrame = { type: 'result', events };
    if (this.interrupted || events.some((e) => e.type === 'message' && e.interrupted))
      frame.interrupted = true;
    if (this.id !== undefined) frame.id = this.id;
    this.ctx.sender.send(frame);
  }

  private sendError(code: ErrorCode): void {
    this.ctx.sender.send(errorFrame(code, this.id));
  }

  private forceInterrupt(): void {
    try {
      const future = this.ctx.session.interrupt({ force: true });
      future.await.catch(() => undefined);
    } catch {
      // Nothing is speaking: nothing to interrupt.
    }
  }
}
