import { attachInFront, markOurs } from '../attach.js';
import type { StreamEvent } from '../events.js';
import type { StreamingTextOutput, StreamingTextOutputOptions } from '../streaming-text-output.js';
import { type Clock, systemClock } from './clock.js';
import { SpokenPacer } from './spoken-pacer.js';
import { type SpokenSession, SpokenTap } from './spoken-tap.js';

/**
 * Which text an attached output's readers get:
 * - `'generated'`: as the model generates it (the default);
 * - `'spoken'`: as the agent's audio plays it, cut where an interruption cut the audio;
 * - `'both'`: generated on the returned output, spoken on its `spoken` property.
 */
export type Timing = 'generated' | 'spoken' | 'both';

export const TIMINGS: readonly Timing[] = ['generated', 'spoken', 'both'];

export interface AttachOptions extends Omit<StreamingTextOutputOptions, 'nextInChain'> {
  /** Default `'generated'`. */
  timing?: Timing;
  /** Syllables per second for spoken pacing when the TTS gives no word timings (default 3.83, the framework's). */
  speechRate?: number;
  /** @internal The time source for spoken pacing (tests). */
  clock?: Clock;
  /**
   * Also deliver the session's tool steps (`tool_call`, `tool_output` events) to the generated
   * output's readers, in order between the generations. Default false: text events only.
   */
  toolSteps?: boolean;
}

export type Create = (options: StreamingTextOutputOptions) => StreamingTextOutput;

/** `StreamingTextOutput.attach()`: the outputs a timing needs, chained in front of the session's. */
export function attachWithTiming(
  session: SpokenSession,
  options: AttachOptions,
  create: Create,
): StreamingTextOutput {
  const {
    timing = 'generated',
    speechRate,
    clock = systemClock,
    toolSteps = false,
    ...outputOptions
  } = options;
  if (typeof toolSteps !== 'boolean') {
    throw new TypeError(`StreamingTextOutput: toolSteps must be a boolean, got ${String(toolSteps)}`);
  }
  if (!TIMINGS.includes(timing)) {
    throw new TypeError(
      `StreamingTextOutput.attach: timing must be 'generated', 'spoken' or 'both', got ${JSON.stringify(timing)}`,
    );
  }
  if (
    speechRate !== undefined &&
    (typeof speechRate !== 'number' || !(speechRate > 0) || !Number.isFinite(speechRate))
  ) {
    throw new RangeError(
      `StreamingTextOutput.attach: speechRate must be a number > 0 (syllables per second), got ${String(speechRate)}`,
    );
  }
  const generated = timing === 'spoken' ? undefined : create(outputOptions);
  // The spoken output is fed only by the pacer, never by the framework: nothing chains after it.
  const spoken = timing === 'generated' ? undefined : create(outputOptions);
  const pacer = spoken === undefined ? undefined : new SpokenPacer(spoken, { clock, speechRate });
  if (toolSteps) {
    if (generated === undefined) {
      throw new TypeError(
        "StreamingTextOutput.attach: toolSteps needs the generated text (timing 'generated' or 'both'), got timing 'spoken'",
      );
    }
    if (session.on === undefined || session.off === undefined) {
      throw new TypeError(
        'StreamingTextOutput.attach: toolSteps needs an AgentSession (its speech_created event)',
      );
    }
    // Typed for text events by default (see `attach()`'s return type): this one carries steps.
    (generated as StreamingTextOutput<StreamEvent>).watchToolSteps(session as Required<SpokenSession>);
  }
  if (generated !== undefined) {
    markOurs(generated);
    attachInFront(session, generated);
  }
  if (pacer !== undefined) {
    const tap = new SpokenTap(session, pacer);
    markOurs(tap);
    attachInFront(session, tap);
  }
  if (generated === undefined) return spoken!;
  if (spoken !== undefined) Object.defineProperty(generated, 'spoken', { value: spoken, enumerable: true });
  return generated;
}
