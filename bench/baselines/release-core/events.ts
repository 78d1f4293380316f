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
}

export type StreamEvent = TextDeltaEvent | TextCompleteEvent;

/** What a reader's buffer does when it already holds `bufferSize` events. */
export type OverflowPolicy = 'coalesce' | 'block' | 'error';
