import type { voice } from '@livekit/agents';
import { type Clock, systemClock } from '../timing/clock.js';
import { SpokenPacer } from '../timing/spoken-pacer.js';
import { type SpokenSession, SpokenTap } from '../timing/spoken-tap.js';
import type { SessionWithSpeech } from './run-steps.js';
import type { TextOutput } from './text-output.js';

/**
 * Where an output goes on a session, and what that costs the outputs already there.
 *
 * Two framework rules shape this file (`@livekit/agents` 1.9, `RoomIO.start()`):
 * 1. A transcription output set before `session.start({ room })` makes `RoomIO` keep it and skip
 *    its own: no room transcription, no `TranscriptionSynchronizer`. So an output attached before
 *    start steps aside while the session starts and chains itself in front of whatever `RoomIO`
 *    installs, in the same assignment, before any generation can run.
 * 2. Replacing `session.output.transcription` detaches the old output and attaches the new one.
 *    For the room's synchronized output, each of those resets the synchronizer's segment (two
 *    resets in a row log a framework warning, and a reset during speech drops the room's
 *    transcript of it). The output we chain in front of keeps receiving every call through us,
 *    so for it nothing was detached: the swap tells it nothing.
 *
 * Both rely only on public members (`session.start`, `session.output.transcription`,
 * `TextOutput.onAttached/onDetached`) and are pinned by `test/room-io.test.ts`, which runs the
 * real `RoomIO` and fails if a framework upgrade changes either rule.
 */

/** The members of an `AgentSession` that attaching uses. */
export type AttachableSession = Pick<voice.AgentSession, 'output'> &
  Partial<Pick<voice.AgentSession, 'start' | 'agentState'>>;

type StartArgs = Parameters<voice.AgentSession['start']>[0];
type Chainable = { nextInChain?: TextOutput };

/** The output `output` forwards to. */
export function nextOf(output: TextOutput): TextOutput | undefined {
  return (output as unknown as Chainable).nextInChain;
}

/**
 * Points `output` at a new next output. The framework declares `nextInChain` read-only, but it is
 * a plain property set by its constructor; this is the one place that moves it.
 */
function chainTo(output: TextOutput, next: TextOutput | undefined): void {
  (output as unknown as { nextInChain?: TextOutput }).nextInChain = next;
}

/**
 * Puts `output` on the session in front of the output already there (if any), without detaching
 * that one, and keeps it in front of the room's output when the session starts later.
 */
export function attachInFront(session: AttachableSession, output: TextOutput): void {
  const existing = session.output.transcription ?? undefined;
  chainTo(output, existing);
  swapQuietly(session, existing, output);
  if (session.agentState === 'initializing' && typeof session.start === 'function') {
    keepInFrontOfRoom(session as AttachableSession & Pick<voice.AgentSession, 'start'>);
  }
}

/** `session.output.transcription = output`, without detach/attach calls on `existing`. */
function swapQuietly(session: AttachableSession, existing: TextOutput | undefined, output: TextOutput): void {
  if (existing === undefined) {
    session.output.transcription = output;
    return;
  }
  // The setter calls existing.onDetached(), then output.onAttached(), which TextOutput passes down
  // the chain to existing.onAttached(). Silence both on `existing` for the one assignment.
  const restore = silence(existing, ['onDetached', 'onAttached']);
  try {
    session.output.transcription = output;
  } finally {
    restore();
  }
}

function silence(target: object, methods: readonly string[]): () => void {
  const saved = methods.map((name) => [name, Object.getOwnPropertyDescriptor(target, name)] as const);
  for (const name of methods) {
    Object.defineProperty(target, name, { value: () => {}, configurable: true, writable: true });
  }
  return () => {
    for (const [name, descriptor] of saved) {
      if (descriptor === undefined) delete (target as Record<string, unknown>)[name];
      else Object.defineProperty(target, name, descriptor);
    }
  };
}

const wrappedStarts = new WeakSet<object>();

/**
 * Wraps this session's `start()` once: when it starts with a room that will install its own
 * transcription output, the outputs we attached step aside for `RoomIO.start()` and come back in
 * front of the room's output in the very assignment that installs it.
 */
function keepInFrontOfRoom(session: AttachableSession & Pick<voice.AgentSession, 'start'>): void {
  if (wrappedStarts.has(session)) return;
  wrappedStarts.add(session);
  const originalStart = session.start;
  const wrapped = async function start(this: unknown, args: StartArgs): Promise<void> {
    // One-shot: later calls (the framework ignores them once started) go straight through.
    restoreStart();
    const front = session.output.transcription ?? undefined;
    if (front === undefined || !isOurs(front) || !roomWillInstallTranscription(args)) {
      return originalStart.call(session, args);
    }
    // Behind our chain, an output the app set itself: RoomIO keeps that one (its rule), we change nothing.
    if (nextOf(lastOfOurs(front)) !== undefined) return originalStart.call(session, args);
    stepAside(session);
    const caught = catchNextAssignment(session.output, (roomOutput) => {
      chainTo(lastOfOurs(front), roomOutput ?? undefined);
      return front;
    });
    try {
      await originalStart.call(session, args);
    } finally {
      // start() failed, or took a path that installs nothing: put our chain back as it was.
      if (caught.release()) swapQuietly(session, session.output.transcription ?? undefined, front);
    }
  };
  const restoreStart = () => {
    if (session.start === wrapped) delete (session as { start?: unknown }).start;
  };
  Object.defineProperty(session, 'start', { value: wrapped, configurable: true, writable: true });
}

/** Outputs this module chained, marked so a start hook knows where our part of the chain ends. */
const ours = new WeakSet<TextOutput>();

/** Marks an output as one of ours (see `lastOfOurs`). */
export function markOurs(output: TextOutput): void {
  ours.add(output);
}

function isOurs(output: TextOutput): boolean {
  return ours.has(output);
}

function lastOfOurs(front: TextOutput): TextOutput {
  let last = front;
  for (let next = nextOf(last); next !== undefined && ours.has(next); next = nextOf(next)) last = next;
  return last;
}

function roomWillInstallTranscription(args: StartArgs | undefined): boolean {
  return args?.room !== undefined && args.outputOptions?.transcriptionEnabled !== false;
}

/** Takes our chain off the session for `RoomIO.start()`: to RoomIO the slot is empty, as before attach. */
function stepAside(session: AttachableSession): void {
  session.output.transcription = null;
}

/**
 * Intercepts the next assignment to `output.transcription` (RoomIO's) and assigns what `replace`
 * returns instead. The interceptor is an own accessor that shadows the framework's prototype
 * accessor; it removes itself on first use. `release()` removes it if it never fired and says so.
 */
function catchNextAssignment(
  output: voice.AgentSession['output'],
  replace: (assigned: TextOutput | null) => TextOutput,
): { release(): boolean } {
  const proto = Object.getPrototypeOf(output) as object;
  const accessor = Object.getOwnPropertyDescriptor(proto, 'transcription');
  if (accessor?.set === undefined || accessor.get === undefined) {
    throw new Error(
      'livekit-streaming-text: session.output.transcription is no longer an accessor on ' +
        `${proto.constructor.name}; this version of @livekit/agents needs an update of attach().`,
    );
  }
  let pending = true;
  const release = () => {
    if (!pending) return false;
    pending = false;
    delete (output as { transcription?: unknown }).transcription;
    return true;
  };
  Object.defineProperty(output, 'transcription', {
    configurable: true,
    get: () => accessor.get!.call(output),
    set: (assigned: TextOutput | null) => {
      release();
      const front = replace(assigned);
      // `assigned` becomes the tail of our chain: it is attached exactly once, through us.
      accessor.set!.call(output, front);
    },
  });
  return { release };
}

/**
 * Which text an attached output's readers get:
 * - `'generated'`: as the model generates it (the default);
 * - `'spoken'`: as the agent's audio plays it, cut where an interruption cut the audio;
 * - `'both'`: generated on the returned output, spoken on its `spoken` property.
 */
export type Timing = 'generated' | 'spoken' | 'both';

export const TIMINGS: readonly Timing[] = ['generated', 'spoken', 'both'];

/** The options of `attach()` that say which outputs it creates (the rest go to each output). */
export interface AttachTimingOptions {
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

/**
 * What `attachOutputs` needs of the outputs it creates. Structural, so that this module never
 * imports the output class: the class imports it (for its static `attach()`), and the spoken
 * parts in `timing/` import neither.
 */
export interface AttachableOutput extends TextOutput {
  watchToolSteps(session: SessionWithSpeech): () => void;
}

/**
 * `StreamingTextOutput.attach()`: the outputs a timing needs, chained in front of the session's.
 * `create` makes one output from the options that are not about timing.
 */
export function attachOutputs<Output extends AttachableOutput, OutputOptions extends object>(
  session: SpokenSession,
  options: AttachTimingOptions & OutputOptions,
  create: (options: OutputOptions) => Output,
): Output {
  const { timing = 'generated', speechRate, clock = systemClock, toolSteps = false, ...rest } = options;
  const outputOptions = rest as unknown as OutputOptions;
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
    generated.watchToolSteps(session as Required<SpokenSession>);
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
