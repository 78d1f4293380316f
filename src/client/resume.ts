import { RESUME_QUERY, type ResumeFrame, type ServerFrame } from '../protocol/frames.js';

/** Messages kept to send once the connection is back; past it, `send()` throws `not_connected`. */
export const MAX_QUEUED_WHILE_AWAY = 100;

/** Turns whose steps are remembered to drop a second restatement of them (the oldest go first). */
const TURNS_WATCHED = 64;

/** What names one step of a turn: a generation's end, or one side of a tool call. */
function stepKey(frame: ServerFrame): string | undefined {
  switch (frame.type) {
    case 'complete':
      return `complete ${frame.generation}`;
    // A model may reuse a callId in a later step (FakeLLM does): the whole step names it.
    case 'tool_call':
      return `tool_call ${frame.callId} ${frame.name} ${frame.arguments}`;
    case 'tool_output':
      return `tool_output ${frame.callId} ${frame.name} ${frame.isError} ${frame.output}`;
    default:
      return undefined;
  }
}

export interface OutgoingMessage {
  type: 'message';
  message: string;
  id: string;
}

/**
 * What a client needs to resume its session after the socket drops: the token from `ready`, the
 * last `seq` it has seen, the messages sent but not yet answered, and those written while away.
 * Kept apart from the socket lifecycle (`index.ts`), which asks it four things: where to connect,
 * what to send first, whether a frame is new, and what to send once resumed.
 */
export class ResumeState {
  private token: string | undefined;
  private lastSeq = 0;
  /** Sent, with no `result` or `error` yet: resent after a resume (the server drops ids it has). */
  private readonly unanswered = new Map<string, OutgoingMessage>();
  /** Written while disconnected, in order. */
  private readonly queued: OutgoingMessage[] = [];
  /**
   * The steps (`complete`, `tool_call`, `tool_output`) each unfinished turn has delivered. After a
   * gap the server restates them without a `seq`, so a client that drops again before any newer
   * numbered frame resumes from the same seq and is sent them twice: the second is dropped here.
   */
  private readonly steps = new Map<string, Set<string>>();

  /** The session can be resumed: the server gave a token. */
  get canResume(): boolean {
    return this.token !== undefined;
  }

  get queuedCount(): number {
    return this.queued.length;
  }

  /** The URL to open: with `?resume=1` when there is a session to resume. */
  url(base: string): string {
    if (this.token === undefined) return base;
    const url = new URL(base);
    url.searchParams.set(RESUME_QUERY, '1');
    return url.toString();
  }

  /** The first frame on a resuming socket. */
  resumeFrame(): ResumeFrame | undefined {
    return this.token === undefined ? undefined : { type: 'resume', token: this.token, seq: this.lastSeq };
  }

  /** A `ready`: keep its token (a fresh session's is new; its seqs start again). */
  ready(frame: Extract<ServerFrame, { type: 'ready' }>): void {
    if (!frame.resumed) this.lastSeq = 0;
    this.token = frame.token;
  }

  /**
   * False for a frame already seen: its `seq` is not past the last one, or it restates a step of
   * its turn that was delivered already. Drop it.
   */
  accept(frame: ServerFrame): boolean {
    const seq = (frame as { seq?: number }).seq;
    if (seq !== undefined) {
      if (seq <= this.lastSeq) return false;
      this.lastSeq = seq;
    }
    const id = 'id' in frame ? frame.id : undefined;
    if (id === undefined) return true;
    if (frame.type === 'result' || frame.type === 'error') {
      this.unanswered.delete(id);
      this.steps.delete(id);
      return true;
    }
    const key = stepKey(frame);
    if (key === undefined) return true;
    let seen = this.steps.get(id);
    if (seen === undefined) {
      seen = new Set();
      this.steps.set(id, seen);
      if (this.steps.size > TURNS_WATCHED) this.steps.delete(this.steps.keys().next().value!);
    }
    // Only a restated frame (no seq) can repeat one: a numbered one is new by its seq.
    if (seq === undefined && seen.has(key)) return false;
    seen.add(key);
    return true;
  }

  /** The message `id` is sent and has no answer yet. */
  isUnanswered(id: string): boolean {
    return this.unanswered.has(id);
  }

  /** Drops a message that must not be sent again (the server refused its size). */
  forget(id: string): void {
    this.unanswered.delete(id);
  }

  sent(message: OutgoingMessage): void {
    this.unanswered.set(message.id, message);
  }

  /** Keeps a message written while away; false when the queue is full. */
  queue(message: OutgoingMessage): boolean {
    if (this.queued.length >= MAX_QUEUED_WHILE_AWAY) return false;
    this.queued.push(message);
    return true;
  }

  /**
   * The same session is back: every message not answered yet, in the order written. The server
   * answers each id once, so one it already has is dropped there, not answered twice.
   */
  takeAfterResume(): OutgoingMessage[] {
    const all = [...this.unanswered.values(), ...this.queued];
    this.queued.length = 0;
    return all;
  }

  /**
   * A fresh session instead: the messages written while away go to it; those the old session had
   * are lost with it, and returned for the caller to fail.
   */
  takeAfterExpiry(): { lost: OutgoingMessage[]; send: OutgoingMessage[] } {
    const lost = [...this.unanswered.values()];
    this.unanswered.clear();
    const send = [...this.queued];
    this.queued.length = 0;
    return { lost, send };
  }

  /** The client gave up or was closed: everything pending is dropped and returned. */
  clear(): OutgoingMessage[] {
    const all = [...this.unanswered.values(), ...this.queued];
    this.unanswered.clear();
    this.queued.length = 0;
    this.steps.clear();
    this.token = undefined;
    this.lastSeq = 0;
    return all;
  }
}
