import type {
  ResultFrame,
  SequencedFrame,
  ServerFrame,
  ToolCallFrame,
  ToolOutputFrame,
} from '../protocol/frames.js';
import { TEXTS_KEPT } from './frame-log.js';

/** Results and errors kept to resend after a gap: the last few turns' outcomes. */
const OUTCOMES_KEPT = 32;

interface OpenGeneration {
  generation: number;
  /** '' once dropped (an older turn): the text is then the turn's `result`'s, matched by length. */
  text: string;
  /** Set when the text was dropped: its length. */
  droppedLength?: number;
  complete: boolean;
  /** Seq of the first frame of this generation: where it stands among the turn's tool steps. */
  firstSeq: number;
  /** Seq of the newest frame of this generation: a client past it has all of it. */
  lastSeq: number;
}

/**
 * A tool step of a turn, kept to restate (without its seq, as the turn's text is). An older turn
 * keeps only which step it was (`frame` undefined): its `result` has the call and the output.
 */
interface ToolStep {
  frame: ToolCallFrame | ToolOutputFrame | undefined;
  type: 'tool_call' | 'tool_output';
  callId: string;
  seq: number;
}

/** What a turn sent that a client which lost frames must get again: its text and tool steps. */
interface TurnSteps {
  generations: OpenGeneration[];
  tools: ToolStep[];
}

interface Outcome {
  frame: SequencedFrame;
  /**
   * The steps of the turn it ends: whole while it is among the last `TEXTS_KEPT`, then without
   * their text and tool payloads (`thin`), which its `result` holds as well.
   */
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
        this.turnFor(frame.id).tools.push({ frame: step, type: frame.type, callId: frame.callId, seq });
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
          const older = this.outcomes[this.outcomes.length - 1 - TEXTS_KEPT];
          if (older?.steps !== undefined) thin(older.steps);
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
      if (outcome.steps !== undefined)
        restateSteps(
          outcome.steps,
          outcome.id,
          after,
          frames,
          outcome.frame.type === 'result' ? outcome.frame : undefined,
        );
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

/** Drops an ended turn's text and tool payloads, keeping what says where each step stood. */
function thin(steps: TurnSteps): void {
  for (const open of steps.generations) {
    if (open.droppedLength !== undefined) continue;
    open.droppedLength = open.text.length;
    open.text = '';
  }
  for (const tool of steps.tools) tool.frame = undefined;
}

/**
 * What a thinned turn had, from its `result`: each dropped generation's text is the next assistant
 * message of the same length (a generation with no text has no message), each tool step is
 * rebuilt from the events of its `callId`.
 */
function fromResult(result: ResultFrame | undefined, id: string | undefined) {
  const events = result?.events ?? [];
  const messages = events.flatMap((e) => (e.type === 'message' && e.role === 'assistant' ? [e.content] : []));
  let next = 0;
  return {
    text(open: OpenGeneration): string | undefined {
      if (open.droppedLength === undefined) return open.text;
      if (open.droppedLength === 0) return '';
      for (let i = next; i < messages.length; i++) {
        if (messages[i]!.length !== open.droppedLength) continue;
        next = i + 1;
        return messages[i];
      }
      return undefined;
    },
    tool(step: ToolStep): ServerFrame | undefined {
      if (step.frame !== undefined) return step.frame;
      for (const e of events) {
        if (!('callId' in e) || e.callId !== step.callId) continue;
        if (step.type === 'tool_call' && e.type === 'function_call')
          return withId({ type: 'tool_call', callId: step.callId, name: e.name, arguments: e.arguments }, id);
        if (step.type === 'tool_output' && e.type === 'function_call_output')
          return withId(
            {
              type: 'tool_output',
              callId: step.callId,
              name: e.name ?? '',
              output: e.output,
              isError: e.isError ?? false,
            },
            id,
          );
      }
      return undefined;
    },
  };
}

function withId<Frame extends ServerFrame>(frame: Frame, id: string | undefined): Frame {
  if (id !== undefined) (frame as { id?: string }).id = id;
  return frame;
}

/**
 * Appends the steps of one turn that a client with every frame up to `after` lacks, in the order
 * the turn sent them: each generation it has not all of (its `complete`, or one `restate` delta
 * while it is open) and each tool step past `after`. A thinned turn's come from its `result`; a
 * step that cannot be found there is left out (its `result` still follows).
 */
function restateSteps(
  steps: TurnSteps,
  id: string | undefined,
  after: number,
  frames: ServerFrame[],
  result?: ResultFrame,
): void {
  const { generations, tools } = steps;
  const source = fromResult(result, id);
  const pushTool = (step: ToolStep) => {
    if (step.seq <= after) return;
    const frame = source.tool(step);
    if (frame !== undefined) frames.push(frame);
  };
  let tool = 0;
  for (const open of generations) {
    for (; tool < tools.length && tools[tool]!.seq < open.firstSeq; tool++) pushTool(tools[tool]!);
    const text = source.text(open);
    if (open.lastSeq <= after || text === undefined) continue;
    if (open.complete) frames.push(withId({ type: 'complete', text, generation: open.generation }, id));
    else frames.push(restatedDelta(open, id));
  }
  for (; tool < tools.length; tool++) pushTool(tools[tool]!);
}

function restatedDelta(open: OpenGeneration, id: string | undefined): ServerFrame {
  const { text, generation } = open;
  return withId({ type: 'delta', delta: text, accumulated: text, generation, restate: true }, id);
}
