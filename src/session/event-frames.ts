import type { StreamEvent, TextDeltaEvent } from '../core/events.js';
import type { CompleteFrame, DeltaFrame, ToolCallFrame, ToolOutputFrame } from '../protocol/frames.js';

export type EventFrame = DeltaFrame | CompleteFrame | ToolCallFrame | ToolOutputFrame;

/**
 * How much `accumulated` a generation may send before its deltas are merged. Each frame that
 * carries `accumulated` repeats the whole text so far, so one frame per chunk makes the bytes grow
 * with the square of the reply (100,000 chunks of 8 characters: 33.8 GB). Within the budget every
 * delta goes out as it comes; past it, deltas are merged and go out once the budget allows again,
 * or `intervalMs` after the previous frame, whichever is first.
 */
export interface AccumulatedBudget {
  /** Characters of `accumulated` allowed per character of text in the generation. */
  perChar: number;
  /** Characters of `accumulated` allowed on top, per generation: short replies are never merged. */
  extra: number;
  /** Past the budget, at most one merged frame per this many milliseconds... */
  intervalMs: number;
  /**
   * ...and at most this many characters of `accumulated` per second: a long generation's frames
   * get rarer as its text grows, so its bytes stay linear in its duration too.
   */
  perSecond: number;
}

export const DEFAULT_ACCUMULATED_BUDGET: AccumulatedBudget = {
  perChar: 4,
  extra: 1024 * 1024,
  intervalMs: 100,
  perSecond: 1_000_000,
};

type Frame = EventFrame;

/**
 * Turns output events into protocol frames, one turn at a time. Stateful: it may hold back a delta
 * (merged with the ones after it) while the `accumulated` budget is spent; `pendingDueInMs` says
 * when a held delta must go out, and a `complete` always sends it first.
 */
export class EventFramer {
  private deltasSent = 0;
  /** Characters of `accumulated` sent in this generation. */
  private accumulatedSent = 0;
  private lastFrameAt = 0;
  /** A held delta: the newest event (its `accumulated`) and where the unsent text starts. */
  private pending: { event: TextDeltaEvent; from: number } | undefined;

  /**
   * @param sendAccumulated true: on every delta frame; false: never; N: on every Nth frame.
   * @param budget limits `accumulated` when it is on every frame; false: no limit.
   */
  constructor(
    private readonly sendAccumulated: boolean | number,
    private readonly budget: AccumulatedBudget | false = DEFAULT_ACCUMULATED_BUDGET,
  ) {}

  /** One frame per event, never held: for callers that frame events themselves. */
  frame(event: StreamEvent, id: string | undefined): Frame {
    if (event.type === 'text_delta')
      return this.delta(event, event.accumulated.length - event.delta.length, id);
    return this.other(event, id);
  }

  /** Frames for `event` (none while it is held, two when a held delta goes before a complete). */
  push(event: StreamEvent, id: string | undefined, send: (frame: Frame) => void): void {
    if (event.type !== 'text_delta') {
      // A held delta always goes before whatever follows it.
      this.flush(id, send);
      send(this.other(event, id));
      return;
    }
    const pending = this.pending;
    if (pending !== undefined && pending.event.generation !== event.generation) this.flush(id, send);
    const from = this.pending?.from ?? event.accumulated.length - event.delta.length;
    if (this.mayHold() && !this.fitsBudget(event.accumulated.length)) {
      this.pending = { event, from };
      return;
    }
    this.pending = undefined;
    send(this.delta(event, from, id));
  }

  /** Milliseconds until a held delta must go out; undefined when none is held. */
  pendingDueInMs(now = performance.now()): number | undefined {
    if (this.pending === undefined || this.budget === false) return undefined;
    return Math.max(0, this.lastFrameAt + this.holdMs(this.pending.event.accumulated.length) - now);
  }

  /** How long after the previous frame a merged one may go out, past the budget. */
  private holdMs(length: number): number {
    const budget = this.budget as AccumulatedBudget;
    return Math.max(budget.intervalMs, (1000 * length) / budget.perSecond);
  }

  /** Sends a held delta, if any. */
  flush(id: string | undefined, send: (frame: Frame) => void): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    send(this.delta(pending.event, pending.from, id));
  }

  private mayHold(): boolean {
    return this.sendAccumulated === true && this.budget !== false;
  }

  private fitsBudget(length: number): boolean {
    const budget = this.budget as AccumulatedBudget;
    if (this.accumulatedSent + length <= budget.perChar * length + budget.extra) return true;
    return performance.now() - this.lastFrameAt >= this.holdMs(length);
  }

  private delta(event: TextDeltaEvent, from: number, id: string | undefined): DeltaFrame {
    const text = event.accumulated;
    const delta = from === text.length - event.delta.length ? event.delta : text.slice(from);
    const frame: DeltaFrame = { type: 'delta', delta, generation: event.generation };
    if (this.includeAccumulated()) {
      frame.accumulated = text;
      this.accumulatedSent += text.length;
    }
    if (id !== undefined) frame.id = id;
    this.lastFrameAt = performance.now();
    return frame;
  }

  private other(event: Exclude<StreamEvent, TextDeltaEvent>, id: string | undefined): Frame {
    const frame = this.bare(event);
    if (id !== undefined) frame.id = id;
    return frame;
  }

  private bare(event: Exclude<StreamEvent, TextDeltaEvent>): Frame {
    switch (event.type) {
      case 'text_complete':
        this.deltasSent = 0;
        this.accumulatedSent = 0;
        return { type: 'complete', text: event.text, generation: event.generation } satisfies CompleteFrame;
      case 'tool_call':
        return { type: 'tool_call', callId: event.callId, name: event.name, arguments: event.arguments };
      case 'tool_output':
        return {
          type: 'tool_output',
          callId: event.callId,
          name: event.name,
          output: event.output,
          isError: event.isError,
        };
    }
  }

  private includeAccumulated(): boolean {
    const every = this.sendAccumulated;
    const index = this.deltasSent++;
    if (typeof every === 'boolean') return every;
    return index % every === 0;
  }
}
