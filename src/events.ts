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

export type StreamEvent = TextDeltaEvent | TextCompleteEvent;

/** What a reader's buffer does when it already holds `bufferSize` events. */
export type OverflowPolicy = 'coalesce' | 'block' | 'error';
