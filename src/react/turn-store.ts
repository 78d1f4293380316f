import type { ResultEvent } from '../protocol/frames.js';
import { type CommitScheduler, frameScheduler } from './commit-scheduler.js';

/** A run of text from one generation. */
export interface TextPart {
  readonly type: 'text';
  /** The connection-wide generation number this text belongs to. */
  readonly generation: number;
  /** The text so far; joined from `segments` on first read, then cached. */
  readonly text: string;
  /**
   * The text as it was committed, one string per commit, oldest first. Earlier strings never
   * change, so a renderer can append a node per new segment instead of replacing the whole text.
   */
  readonly segments: readonly string[];
}

/** A tool the agent ran (or is running) in the middle of the turn. */
export interface ToolPart {
  readonly type: 'tool';
  readonly callId: string;
  readonly name: string;
  /** The arguments as the model wrote them (a JSON string). */
  readonly arguments: string;
  readonly output?: string;
  readonly isError?: boolean;
  readonly state: 'running' | 'done';
}

/** A turn's text and tool steps in the order they happened, like the AI SDK's `message.parts`. */
export type TurnPart = TextPart | ToolPart;

export type TurnStatus = 'streaming' | 'complete' | 'interrupted' | 'error';

/** One message and its reply, as it streams. A new object whenever the turn changed. */
export interface AgentTurn {
  readonly id: string;
  readonly message: string;
  /** Text and tool steps in order. */
  readonly parts: readonly TurnPart[];
  /** The text of each generation: a turn with a tool call has the text before and after it. */
  readonly generations: string[];
  /** The generations joined by a blank line (computed when read). */
  readonly text: string;
  /** The turn's events (tool calls and their outputs included), once its result arrived. */
  readonly events: ResultEvent[];
  readonly status: TurnStatus;
  readonly error?: string;
  /** The connection-wide number of this turn's first generation. */
  readonly firstGeneration?: number;
}

/** What the tool frames carry (see the protocol's `tool_call` / `tool_output`). */
export interface ToolCallInfo {
  callId: string;
  name: string;
  arguments: string;
}
export interface ToolOutputInfo {
  callId: string;
  name: string;
  output: string;
  isError: boolean;
}

/** The mutable working copy of a text part; `snapshot` is what readers see. */
interface TextDraft {
  kind: 'text';
  generation: number;
  /** Committed segments: never mutated, replaced by a longer copy on commit. */
  segments: readonly string[];
  /** Deltas since the last commit: per-delta work is one push. */
  pending: string[];
  snapshot: TextPart | undefined;
}
interface ToolDraft {
  kind: 'tool';
  part: ToolPart;
}
type PartDraft = TextDraft | ToolDraft;

interface TurnDraft {
  id: string;
  message: string;
  parts: PartDraft[];
  events: ResultEvent[];
  status: TurnStatus;
  error?: string;
  firstGeneration?: number;
  dirty: boolean;
  snapshot: AgentTurn;
}

function textPart(generation: number, segments: readonly string[]): TextPart {
  let joined: string | undefined;
  return {
    type: 'text',
    generation,
    segments,
    get text() {
      if (joined === undefined) joined = segments.length === 1 ? segments[0]! : segments.join('');
      return joined;
    },
  };
}

function turnSnapshot(draft: TurnDraft, parts: readonly TurnPart[]): AgentTurn {
  let generations: string[] | undefined;
  const readGenerations = () => {
    if (generations === undefined) {
      generations = [];
      const first = draft.firstGeneration ?? 0;
      for (const part of parts) if (part.type === 'text') generations[part.generation - first] = part.text;
    }
    return generations;
  };
  let text: string | undefined;
  const turn: AgentTurn = {
    id: draft.id,
    message: draft.message,
    parts,
    get generations() {
      return readGenerations();
    },
    get text() {
      if (text === undefined) text = readGenerations().filter(Boolean).join('\n\n');
      return text;
    },
    events: draft.events,
    status: draft.status,
    ...(draft.error === undefined ? {} : { error: draft.error }),
    ...(draft.firstGeneration === undefined ? {} : { firstGeneration: draft.firstGeneration }),
  };
  return turn;
}

/**
 * A server without live tool frames (before `tool_call` / `tool_output`) reports its tool calls
 * only in the turn's `result`: put them between the texts in the order the result gives, so the
 * parts are right once the turn is over.
 */
function placeToolsFromResult(turn: TurnDraft, events: readonly ResultEvent[]): void {
  if (!events.some((event) => event.type === 'function_call')) return;
  const texts = turn.parts.filter((part): part is TextDraft => part.kind === 'text');
  const parts: PartDraft[] = [];
  for (const event of events) {
    if (event.type === 'message' && event.role === 'assistant') {
      const text = texts.shift();
      if (text) parts.push(text);
    } else if (event.type === 'function_call') {
      const callId = event.callId ?? '';
      const out = events.find(
        (e): e is Extract<ResultEvent, { type: 'function_call_output' }> =>
          e.type === 'function_call_output' && e.callId === event.callId,
      );
      const part: ToolPart = out
        ? {
            type: 'tool',
            callId,
            name: event.name,
            arguments: event.arguments,
            output: out.output,
            isError: out.isError === true,
            state: 'done',
          }
        : { type: 'tool', callId, name: event.name, arguments: event.arguments, state: 'running' };
      parts.push({ kind: 'tool', part });
    }
  }
  turn.parts = [...parts, ...texts];
}

export interface TurnStoreOptions {
  /**
   * Commit at most once per this many milliseconds. Default: once per animation frame (or every
   * 16 ms where there are no animation frames).
   */
  throttleMs?: number;
}

/** Validates `throttleMs` the way every option of this package is: at construction. */
export function validateThrottleMs(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    throw new TypeError(`useStreamingAgent: \`throttleMs\` must be a number; received ${typeof value}`);
  }
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `useStreamingAgent: \`throttleMs\` must be a finite number >= 0; received ${String(value)}`,
    );
  }
  return value;
}

/**
 * The conversation, outside React: the client's callbacks write into it, `useSyncExternalStore`
 * reads it. Work per delta is a push onto the streaming part's pending list; the text is joined
 * only when read, and at most one commit (new snapshots of the changed turns, then one
 * notification) happens per animation frame or per `throttleMs`. Turns that did not change keep
 * their object, so a memoized row for them does not re-render.
 */
export class TurnStore {
  private readonly drafts = new Map<string, TurnDraft>();
  private readonly order: TurnDraft[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly scheduler: CommitScheduler;
  private turns: AgentTurn[] = [];
  private scheduled = false;
  private structureChanged = false;

  constructor(options: TurnStoreOptions = {}, scheduler?: CommitScheduler) {
    this.scheduler = scheduler ?? frameScheduler(validateThrottleMs(options.throttleMs));
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getTurns = (): AgentTurn[] => this.turns;

  /** A turn the user just sent: shown at once, not at the next frame. */
  addTurn(id: string, message: string): void {
    const draft: TurnDraft = {
      id,
      message,
      parts: [],
      events: [],
      status: 'streaming',
      dirty: false,
      snapshot: undefined as unknown as AgentTurn,
    };
    draft.snapshot = turnSnapshot(draft, []);
    this.drafts.set(id, draft);
    this.order.push(draft);
    this.structureChanged = true;
    this.commit();
  }

  delta(id: string | undefined, generation: number, delta: string): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    this.textDraft(turn, generation).pending.push(delta);
    this.touch(turn);
  }

  /** The whole text of a generation so far (a resumed connection's restatement): it replaces. */
  restate(id: string | undefined, generation: number, text: string): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    const draft = this.textDraft(turn, generation);
    draft.segments = [];
    draft.pending = [text];
    this.touch(turn);
  }

  /** A generation ended; `text` is its whole text, which normally equals its deltas. */
  complete(id: string | undefined, generation: number, text: string): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    const draft = this.textDraft(turn, generation);
    // Compare lengths only: joining the deltas to compare texts would copy the whole reply.
    const length =
      draft.segments.reduce((n, s) => n + s.length, 0) + draft.pending.reduce((n, s) => n + s.length, 0);
    if (length !== text.length) {
      draft.segments = [];
      draft.pending = [text];
    }
    this.touch(turn);
  }

  toolCall(id: string | undefined, call: ToolCallInfo): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    turn.parts.push({
      kind: 'tool',
      part: {
        type: 'tool',
        callId: call.callId,
        name: call.name,
        arguments: call.arguments,
        state: 'running',
      },
    });
    this.touch(turn);
  }

  toolOutput(id: string | undefined, out: ToolOutputInfo): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    const done = (part: ToolPart | undefined): ToolPart => ({
      type: 'tool',
      callId: out.callId,
      name: part?.name ?? out.name,
      arguments: part?.arguments ?? '',
      output: out.output,
      isError: out.isError,
      state: 'done',
    });
    // Search from the end: the call is almost always the latest part.
    for (let i = turn.parts.length - 1; i >= 0; i--) {
      const part = turn.parts[i]!;
      if (part.kind === 'tool' && part.part.callId === out.callId) {
        part.part = done(part.part);
        this.touch(turn);
        return;
      }
    }
    // An output with no call seen (e.g. the call came before this client subscribed): show it anyway.
    turn.parts.push({ kind: 'tool', part: done(undefined) });
    this.touch(turn);
  }

  result(id: string | undefined, events: ResultEvent[], interrupted: boolean): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    turn.events = events;
    turn.status = interrupted ? 'interrupted' : 'complete';
    if (!turn.parts.some((part) => part.kind === 'tool')) placeToolsFromResult(turn, events);
    this.touch(turn);
  }

  error(id: string | undefined, message: string): void {
    const turn = this.find(id);
    if (turn === undefined) return;
    turn.status = 'error';
    turn.error = message;
    this.touch(turn);
  }

  /** Applies everything pending now, and tells the subscribers. */
  commit = (): void => {
    this.scheduled = false;
    let changed = this.structureChanged;
    for (const turn of this.order) {
      if (!turn.dirty) continue;
      turn.dirty = false;
      const parts = turn.parts.map((part) => (part.kind === 'tool' ? part.part : this.commitText(part)));
      turn.snapshot = turnSnapshot(turn, parts);
      changed = true;
    }
    if (!changed) return;
    this.structureChanged = false;
    this.turns = this.order.map((turn) => turn.snapshot);
    for (const listener of this.listeners) listener();
  };

  private commitText(draft: TextDraft): TextPart {
    if (draft.pending.length > 0 || draft.snapshot === undefined) {
      const added = draft.pending.length === 1 ? draft.pending[0]! : draft.pending.join('');
      draft.pending = [];
      if (added !== '') draft.segments = [...draft.segments, added];
      draft.snapshot = textPart(draft.generation, draft.segments);
    }
    return draft.snapshot;
  }

  private find(id: string | undefined): TurnDraft | undefined {
    return id === undefined ? undefined : this.drafts.get(id);
  }

  /** The text part for `generation`: the latest part if it is that generation's text, else a new one. */
  private textDraft(turn: TurnDraft, generation: number): TextDraft {
    const last = turn.parts.at(-1);
    if (last?.kind === 'text' && last.generation === generation) return last;
    for (const part of turn.parts) if (part.kind === 'text' && part.generation === generation) return part;
    turn.firstGeneration ??= generation;
    const draft: TextDraft = { kind: 'text', generation, segments: [], pending: [], snapshot: undefined };
    turn.parts.push(draft);
    return draft;
  }

  private touch(turn: TurnDraft): void {
    turn.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    this.scheduler(this.commit);
  }
}
