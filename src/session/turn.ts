import { voice } from '@livekit/agents';
import type { StreamEvent } from '../core/events.js';
import type { StreamReader } from '../core/stream-reader.js';
import type { StreamingTextOutput } from '../core/streaming-text-output.js';
import type { ErrorCode, ResultFrame } from '../protocol/frames.js';
import { errorFrame } from '../protocol/frames.js';
import { TIMED_OUT, withDeadline } from './deadline.js';
import type { EventFramer } from './event-frames.js';
import type { FrameSink } from './frame-sender.js';
import { startPump } from './pump.js';
import { toResultEvents } from './run-events.js';

export interface TurnContext {
  session: voice.AgentSession;
  output: StreamingTextOutput<StreamEvent>;
  /** This connection's reader of `output`. */
  reader: StreamReader;
  sender: FrameSink;
  framer: EventFramer;
  turnTimeoutMs: number;
  onError: (error: unknown, where: string) => void;
}

/** How long a run may take to wind down after the timeout interrupted it. */
export const TIMEOUT_GRACE_MS = 5_000;
/**
 * A forced interrupt can complete the run a moment before the framework flushes the generation it
 * cut; the turn waits that long at most for the flush, so the cut text stays in its own turn.
 */
export const LATE_FLUSH_GRACE_MS = 2_000;

type RunOutcome =
  | { ok: true; result: voice.testing.RunResult }
  | { ok: false; code: Extract<ErrorCode, 'run_failed' | 'turn_timeout'> };

const RUN_FAILED: RunOutcome = { ok: false, code: 'run_failed' };
const TURN_TIMEOUT: RunOutcome = { ok: false, code: 'turn_timeout' };

/**
 * One message's turn: the whole `session.run()`, every generation of it (a tool call makes
 * several) and its tool steps, then its `result`. The boundary is the run's completion, not the
 * first flush: the framework flushes each generation before the run completes, so once it has
 * completed and no generation is open, every event of this turn is in the reader, and none of the
 * next turn can be.
 *
 * `turnTimeoutMs` bounds the run (the model and the tools), never the delivery: a client that is
 * slow to read still gets all of the text, then `result`.
 */
export class Turn {
  private interrupted = false;
  /** The text of the generation this turn last completed on the wire. */
  private lastGenerationText: string | undefined;
  private abandoned = false;
  private readonly gone: Promise<RunOutcome>;
  private leave!: () => void;

  constructor(
    private readonly ctx: TurnContext,
    private readonly message: string,
    private readonly id: string | undefined,
  ) {
    this.gone = new Promise((resolve) => {
      this.leave = () => resolve(RUN_FAILED);
    });
  }

  /** Stops the generation in progress; the turn still ends with its complete and result. */
  interrupt(): void {
    this.interrupted = true;
    this.forceInterrupt();
  }

  /** The client is gone: stop the run and stop waiting for it; nothing more is sent. */
  abandon(): void {
    this.abandoned = true;
    this.leave();
    this.forceInterrupt();
  }

  /**
   * Runs the message and sends its frames as they come: start the run, let it settle (bounded by
   * the turn timeout), wait for a generation it cut to be flushed (bounded by the late-flush
   * grace), send what is still buffered, then `result` or `error`.
   */
  async answer(): Promise<void> {
    let runOver = false;
    const sink = this.ctx.sender;
    const pump = startPump({
      reader: this.ctx.reader,
      // Remembers the text of the generation last completed: what a cut turn had said.
      sender: {
        get isOpen() {
          return sink.isOpen;
        },
        get isBehind() {
          return sink.isBehind;
        },
        drained: () => sink.drained(),
        send: (frame) => {
          if (frame.type === 'complete') this.lastGenerationText = frame.text;
          sink.send(frame);
        },
      },
      framer: this.ctx.framer,
      id: this.id,
      isFinished: () => runOver,
    });
    let modelFailed = false;
    const onSessionError = (event: voice.ErrorEvent) => {
      // The framework reports a model that fails mid-stream here, and still completes the run.
      modelFailed = true;
      this.ctx.onError(event.error, 'model');
    };
    this.ctx.session.on(voice.AgentSessionEventTypes.Error, onSessionError);
    let outcome: RunOutcome;
    try {
      outcome = await this.settleRun();
      await Promise.race([withDeadline(this.ctx.output.whenIdle(), LATE_FLUSH_GRACE_MS), this.gone]);
    } finally {
      this.ctx.session.off(voice.AgentSessionEventTypes.Error, onSessionError);
    }
    // Every event of this run is in the reader now: send them, then the verdict.
    runOver = true;
    pump.nudge();
    await pump.done;
    if (this.abandoned || !this.ctx.sender.isOpen) return;
    if (!outcome.ok) this.sendError(outcome.code);
    else if (modelFailed) this.sendError('run_failed');
    else this.sendResult(outcome.result);
  }

  /** Starts the run and waits for it to complete, at most `turnTimeoutMs` (then interrupts it). */
  private async settleRun(): Promise<RunOutcome> {
    let run: voice.testing.RunResult;
    try {
      run = this.ctx.session.run({ userInput: this.message });
    } catch (error) {
      this.ctx.onError(error, 'session.run');
      return RUN_FAILED;
    }
    const completed = run.wait().then(
      (result): RunOutcome => ({ ok: true, result }),
      (error: unknown): RunOutcome => {
        this.ctx.onError(error, 'session.run');
        return RUN_FAILED;
      },
    );
    const settled = Promise.race([completed, this.gone]);
    const outcome = await withDeadline(settled, this.ctx.turnTimeoutMs);
    if (outcome !== TIMED_OUT) return outcome;
    this.forceInterrupt();
    // The interrupt normally completes the run at once; if even that hangs, answer anyway.
    await withDeadline(settled, TIMEOUT_GRACE_MS);
    return TURN_TIMEOUT;
  }

  private sendResult(result: voice.testing.RunResult): void {
    const events = toResultEvents(result.events);
    // The forced interrupt makes the framework drop the cut assistant message from the run's
    // events (a polite one keeps it, but completes the run seconds later): put back what the
    // client was sent, as the framework's own RunResult shows it after a polite interrupt.
    const said = events.filter((e) => e.type === 'message' && e.role === 'assistant');
    const cutText = this.lastGenerationText;
    const dropped =
      this.interrupted &&
      cutText !== undefined &&
      cutText !== '' &&
      !said.some((e) => e.type === 'message' && (e.interrupted || e.content === cutText));
    if (dropped) events.push({ type: 'message', role: 'assistant', content: cutText, interrupted: true });
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
