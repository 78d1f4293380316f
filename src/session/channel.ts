import { Waiters } from '../core/waiters.js';
import {
  errorFrame,
  type SequencedFrame,
  type ServerFrame,
  type ToolCallFrame,
  type ToolOutputFrame,
} from '../protocol/frames.js';
import { type FrameLog, TEXTS_KEPT } from './frame-log.js';
import type { FrameSink } from './frame-sender.js';

/** Results and errors kept to resend after a gap: the last few turns' outcomes. */
const OUTCOMES_KEPT = 32;

interface OpenGeneration {
  generation: number;
  text: string;
  complete: boolean;
  /** Seq of the first frame of this generation: where it stands among the turn's tool steps. */
  firstSeq: number;
  /** Seq of the newest frame of this generation: a client past it has all of it. */
  lastSeq: number;
}

/** A tool step of a turn, kept to restate (without its seq, as the turn's text is). */
interface ToolStep {
  frame: ToolCallFrame | ToolOutputFrame;
  seq: number;
}

/** What a turn sent that a client which lost frames must get again: its text and tool steps. */
interface TurnSteps {
  generations: OpenGeneration[];
  tools: ToolStep[];
}

interface Outcome {
  frame: SequencedFrame;
  /** The steps of the turn it ends, while it is among the last `TEXTS_KEPT`. */
  steps: TurnSteps | undefined;
  id: string | undefined;
}

/**
 * What a client that lost frames needs to carry on: the turn in progress (each generation's text
 * so far and each tool step), the outcomes of the last few turns, and the text and tool steps of
 * the last ones. Fed every frame the session sends.
 */
export class TurnSnapshot {
  private turnId: string | undefined;
  private steps: TurnSteps = { generations: [], tools: [] };
  private readonly outcomes: Outcome[] = [];

  observe(frame: SequencedFrame): void {
    switch (frame.type) {
      case 'delta': {
        const open = this.generationFor(frame.generation, frame.id, frame.seq);
        open.text += frame.delta;
        open.lastSeq = frame.seq;
        return;
      }
      case 'complete': {
        const open = this.generationFor(frame.generation, frame.id, frame.seq);
        open.text = frame.text;
        open.complete = true;
        open.lastSeq = frame.seq;
        return;
      }
      case 'tool_call':
      case 'tool_output': {
        const { seq, ...step } = frame;
        this.turnFor(frame.id).tools.push({ frame: step, seq });
        return;
      }
      case 'result':
      case 'error':
        if (frame.type === 'result' || frame.id !== undefined) {
          let steps: TurnSteps | undefined;
          if (frame.id === this.turnId) {
            steps = this.steps;
            this.steps = { generations: [], tools: [] };
          }
          this.outcomes.push({ frame, steps, id: frame.id });
          if (this.outcomes.length > OUTCOMES_KEPT) this.outcomes.shift();
          const dropSteps = this.outcomes.length - 1 - TEXTS_KEPT;
          if (dropSteps >= 0) this.outcomes[dropSteps]!.steps = undefined;
        }
        return;
      default:
        return;
    }
  }

  /**
   * Frames that bring a client that has everything up to `after` (except a gap) up to date: each
   * outcome it missed, after the steps of that turn it did not have all of (a `complete` per
   * generation, each tool step), then the turn in progress restated (a `complete` per finished
   * generation, one `restate` delta for the open one, its tool steps), again only what it lacks.
   * Restated frames carry no `seq`: only the outcomes (which a client may already have) keep it.
   */
  catchUp(after: number): ServerFrame[] {
    const frames: ServerFrame[] = [];
    for (const outcome of this.outcomes) {
      if (outcome.frame.seq <= after) continue;
      if (outcome.steps !== undefined) restateSteps(outcome.steps, outcome.id, after, frames);
      frames.push(outcome.frame);
    }
    restateSteps(this.steps, this.turnId, after, frames);
    return frames;
  }

  /**
   * For a client whose `seq` is past any this session sent (it was numbered by another life of the
   * session): what it has cannot be told, so the turn in progress is restated whole.
   */
  restateCurrentTurn(): ServerFrame[] {
    const frames: ServerFrame[] = [];
    restateSteps(this.steps, this.turnId, 0, frames);
    return frames;
  }

  private turnFor(id: string | undefined): TurnSteps {
    if (id !== this.turnId) {
      this.turnId = id;
      this.steps = { generations: [], tools: [] };
    }
    return this.steps;
  }

  private generationFor(generation: number, id: string | undefined, seq: number): OpenGeneration {
    const { generations } = this.turnFor(id);
    let open = generations.at(-1);
    if (open === undefined || open.generation !== generation) {
      open = { generation, text: '', complete: false, firstSeq: seq, lastSeq: 0 };
      generations.push(open);
    }
    return open;
  }
}

/**
 * Appends the steps of one turn that a client with every frame up to `after` lacks, in the order
 * the turn sent them: each generation it has not all of (its `complete`, or one `restate` delta
 * while it is open) and each tool step past `after`.
 */
function restateSteps(steps: TurnSteps, id: string | undefined, after: number, frames: ServerFrame[]): void {
  const { generations, tools } = steps;
  let tool = 0;
  for (const open of generations) {
    for (; tool < tools.length && tools[tool]!.seq < open.firstSeq; tool++) {
      if (tools[tool]!.seq > after) frames.push(tools[tool]!.frame);
    }
    if (open.lastSeq <= after) continue;
    if (open.complete) frames.push(completeFrame(open, id));
    else frames.push(restatedDelta(open, id));
  }
  for (; tool < tools.length; tool++) if (tools[tool]!.seq > after) frames.push(tools[tool]!.frame);
}

function restatedDelta(open: OpenGeneration, id: string | undefined): ServerFrame {
  const delta: ServerFrame = {
    type: 'delta',
    delta: open.text,
    accumulated: open.text,
    generation: open.generation,
    restate: true,
  };
  if (id !== undefined) delta.id = id;
  return delta;
}

function completeFrame(done: OpenGeneration, id: string | undefined): ServerFrame {
  return id === undefined
    ? { type: 'complete', text: done.text, generation: done.generation }
    : { type: 'complete', text: done.text, generation: done.generation, id };
}

/**
 * A session's one way out: it numbers every frame, logs it, and hands it to the connection
 * attached now, if any. It stays open while the session lives, so a turn keeps running (and its
 * frames keep being logged) while the client is away. While it replays to a resuming client it
 * reports itself behind, so the turn's pump waits instead of overtaking the replay.
 */
export class SessionChannel implements FrameSink {
  private seq = 0;
  private target: FrameSink | undefined;
  /** Frames sent while a replay is under way, sent after it. */
  private held: SequencedFrame[] | undefined;
  private readonly drainWaiters = new Waiters();
  private closed = false;
  readonly snapshot = new TurnSnapshot();
  /** Called with each turn's `result` or `error` (with an id), once numbered. */
  onOutcome: ((frame: Extract<ServerFrame, { type: 'result' | 'error' }>) => void) | undefined;

  /** Without a log (resuming is off), frames go out as they are: no `seq`, nothing kept. */
  constructor(
    private readonly log: FrameLog | undefined,
    readonly sessionId: string,
  ) {}

  /** The seq of the newest frame sent. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Frames carry `seq` and are logged (resuming is on). */
  get numbered(): boolean {
    return this.log !== undefined;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get isBehind(): boolean {
    return this.held !== undefined || (this.target?.isBehind ?? false);
  }

  get isAttached(): boolean {
    return this.target !== undefined;
  }

  send(frame: ServerFrame): void {
    if (this.closed) return;
    if (this.log === undefined) {
      this.target?.send(frame);
      return;
    }
    const sequenced = frame as SequencedFrame;
    sequenced.seq = ++this.seq;
    this.snapshot.observe(sequenced);
    this.log.append(this.sessionId, sequenced);
    if (
      this.onOutcome !== undefined &&
      (sequenced.type === 'result' || (sequenced.type === 'error' && sequenced.id !== undefined))
    )
      this.onOutcome(sequenced);
    if (this.held !== undefined) this.held.push(sequenced);
    else this.target?.send(sequenced);
  }

  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.held !== undefined) return this.drainWaiters.wait();
    return this.target?.drained() ?? Promise.resolve();
  }

  /** A session rebuilt from another process's log numbers on from where that one stopped. */
  continueFrom(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }

  /** A fresh connection: live frames from now on. */
  attach(target: FrameSink): void {
    this.target = target;
    this.held = undefined;
    this.wake();
  }

  /**
   * A resuming connection that has every frame up to `after`: replays what it missed from the
   * log, or tells it of a gap and restates the current turn, then goes live. `before` is sent
   * first (the `ready`), unnumbered. No frame is lost or sent twice: live frames are held while
   * the log is read, then only those past the replay are sent.
   */
  async resume(target: FrameSink, after: number, before: ServerFrame): Promise<void> {
    this.target = target;
    const held: SequencedFrame[] = [];
    this.held = held;
    // Every frame up to here was appended before the read: the log must hand back all of them.
    const sentBefore = this.seq;
    let read: Awaited<ReturnType<FrameLog['read']>>;
    try {
      if (this.log === undefined) throw new Error('no log');
      read = await this.log.read(this.sessionId, after);
    } catch {
      read = { frames: [], gap: true };
    }
    // Another connection took over while the log was read: it replays for itself.
    if (this.target !== target || this.held !== held) return;
    this.held = undefined;
    target.send(before);
    if (after > this.seq) {
      // A client ahead of us (a seq from another life of the session): what it has cannot be
      // told, so it gets the turn in progress whole, and our frames number on past its seq (it
      // drops any frame numbered at or below the last one it saw).
      this.seq = after;
      target.send(errorFrame('resume_gap'));
      for (const frame of this.snapshot.restateCurrentTurn()) target.send(frame);
      this.wake();
      return;
    }
    const first = read.frames[0]?.seq ?? this.seq + 1;
    // The log lost the newest frames (appends that failed): a hole before the live ones.
    const lostTail = (read.frames.at(-1)?.seq ?? after) < sentBefore;
    if (read.gap || first > after + 1 || lostTail) {
      target.send(errorFrame('resume_gap'));
      for (const frame of this.snapshot.catchUp(after)) target.send(frame);
    } else {
      let last = after;
      for (const frame of read.frames) {
        if (frame.seq <= last) continue;
        target.send(frame);
        last = frame.seq;
      }
      for (const frame of held) if (frame.seq > last) target.send(frame);
    }
    this.wake();
  }

  /** The connection went: frames are only logged until another attaches. */
  detach(target: FrameSink): void {
    if (this.target !== target) return;
    this.target = undefined;
    this.held = undefined;
    this.wake();
  }

  close(): void {
    this.closed = true;
    this.target = undefined;
    this.held = undefined;
    this.wake();
  }

  private wake(): void {
    this.drainWaiters.wake();
  }
}
