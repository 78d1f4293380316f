/** One chunk of text, as the framework handed it to the output. */
export interface TextDeltaEvent {
  type: 'text_delta';
  /** The new chunk (several chunks merged into one when a slow reader was coalesced). */
  delta: string;
  /** All text of this generation so far: always a prefix of the final text. */
  accumulated: string;
  /** 1 for the first generation this output saw, then 2, 3, ... */
  generation: number;
  /** Seconds, when the framework passed a `TimedString`. */
  startTime?: number;
  endTime?: number;
}

/** The end of one generation (one `flush()` from the framework). */
export interface TextCompleteEvent {
  type: 'text_complete';
  /** The whole generation: equals the concatenation of its deltas. */
  text: string;
  generation: number;
  /**
   * Spoken timing only: the audio was interrupted, and `text` is what had been played when it was
   * cut (the words whose audio had started), not all that was generated.
   */
  interrupted?: true;
}

/**
 * The agent started executing a tool. Emitted only by an output that watches a session's tool
 * steps (`StreamingTextOutput.attach(session, { toolSteps: true })` or `watchToolSteps(session)`).
 * It comes after the generation that asked for the tool (its `text_complete`) and before the
 * generation that answers with the tool's output.
 */
export interface ToolCallEvent {
  type: 'tool_call';
  /** Pairs this call with its `tool_output`. */
  callId: string;
  name: string;
  /** The arguments as the model sent them: a JSON string. */
  arguments: string;
}

/** A tool returned (or threw: then `isError` is true and `output` is the error the model sees). */
export interface ToolOutputEvent {
  type: 'tool_output';
  callId: string;
  name: string;
  /** What the model gets back, as the framework encodes it (JSON for a returned value). */
  output: string;
  isError: boolean;
}

export type TextEvent = TextDeltaEvent | TextCompleteEvent;
export type ToolStepEvent = ToolCallEvent | ToolOutputEvent;

/** Everything a reader yields: text, and the tool steps between generations when watched. */
export type StreamEvent = TextEvent | ToolStepEvent;

/** What a reader's buffer does when it already holds `bufferSize` events. */
export type OverflowPolicy = 'coalesce' | 'block' | 'error';
