import { tokenize, voice } from '@livekit/agents';
import type { TimedString } from '../text-output.js';
import type { Clock } from './clock.js';

/**
 * Syllables ("hyphens") per second of ordinary speech: the framework's own estimate, the constant
 * its `TranscriptionSynchronizer` paces room captions with (`STANDARD_SPEECH_RATE` in
 * `voice/transcription/synchronizer`). It is not exported, so it is copied here;
 * `test/spoken.test.ts` ("paces with the framework's own speech-rate constant") reads the installed framework's value and fails if it changes.
 */
export const STANDARD_SPEECH_RATE = 3.83;

/** Where the spoken text goes: a `StreamingTextOutput` that nothing else feeds. */
export interface SpokenSink {
  captureText(text: string | TimedString): Promise<void>;
  flush(ending?: { interrupted?: boolean }): void;
}

export interface SpokenPacerOptions {
  clock: Clock;
  /** Syllables per second when the TTS gives no word timings. Default `STANDARD_SPEECH_RATE`. */
  speechRate?: number;
}

/** A piece of text released at once: a word with the whitespace before it, or one timed chunk. */
interface Unit {
  text: string;
  /** Milliseconds after the segment's playback started. */
  at: number;
}

/** One generation's text, waiting for its audio. */
interface Segment {
  /** Expects playback events; otherwise its text is "spoken" as it is generated. */
  voiced: boolean;
  units: Unit[];
  /** Text after the last complete word: not a unit until a space (or the end) completes it. */
  partial: string;
  /** Offset of the next unit, from the speech-rate estimate or the last word timing. */
  nextAt: number;
  /** Offset of the last unit released. */
  lastAt: number;
  textDone: boolean;
  /** Clock time (ms) its playback started. */
  startAt?: number;
  /** Playback finished: everything is released at once. */
  playedOut: boolean;
  /** Playback was cut at this offset (ms): later units are dropped. */
  cutAt?: number;
  timer?: unknown;
}

/**
 * Releases a generation's text as its audio plays.
 *
 * Text arrives at generation speed (`pushText`/`endText`, from a tap in front of the session's
 * transcription chain). Audio arrives as the session's `AudioOutput` playback events: a segment
 * binds to the next `playbackStarted`, in order. Each word is scheduled at an offset from that
 * start: the TTS's `TimedString.startTime` when it gives one, else the framework's speech-rate
 * estimate. A word is released when the clock reaches its offset, never earlier. A normal
 * `playbackFinished` releases the rest at once; an interrupted one keeps the words that started
 * before `playbackPosition` and ends the generation with `interrupted: true`.
 *
 * Segments are released one after another in playback order, so the spoken output's generations
 * never interleave.
 */
export class SpokenPacer {
  private readonly clock: Clock;
  private readonly msPerSyllable: number;
  private readonly segments: Segment[] = [];
  /** The segment the framework is writing text into (the last one, until its `endText`). */
  private writing: Segment | undefined;
  /** A `playbackStarted` that came before its segment's first text (a realtime model's audio). */
  private earlyStart: number | undefined;
  private delivery: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: SpokenSink,
    options: SpokenPacerOptions,
  ) {
    this.clock = options.clock;
    const rate = options.speechRate ?? STANDARD_SPEECH_RATE;
    if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) {
      throw new RangeError(`SpokenPacer: speechRate must be a number > 0, got ${String(rate)}`);
    }
    this.msPerSyllable = 1000 / rate;
  }

  // ---- text side: generation speed ----

  /** A chunk of the current generation. `voiced`: whether the session has an audio output now. */
  pushText(text: string | TimedString, voiced: boolean): void {
    let segment = this.writing;
    if (segment === undefined) {
      segment = { voiced, units: [], partial: '', nextAt: 0, lastAt: 0, textDone: false, playedOut: false };
      this.segments.push(segment);
      this.writing = segment;
      if (voiced && this.earlyStart !== undefined && this.isFirstUnstarted(segment)) {
        segment.startAt = this.earlyStart;
        this.earlyStart = undefined;
      }
    }
    if (voice.isTimedString(text) && text.startTime !== undefined) {
      this.cutPartial(segment);
      // The TTS's timing wins over our estimate; only order is kept (a word never precedes the last).
      const at = Math.max(segment.units.at(-1)?.at ?? segment.lastAt, text.startTime * 1000);
      segment.units.push({ text: text.text, at });
      segment.nextAt =
        text.endTime !== undefined ? Math.max(at, text.endTime * 1000) : at + this.durationOf(text.text);
    } else {
      segment.partial += voice.isTimedString(text) ? text.text : text;
      this.cutWords(segment);
    }
    this.pump();
  }

  /** The generation's text is complete (the framework's `flush()`). */
  endText(): void {
    const segment = this.writing ?? this.emptySegment();
    this.writing = undefined;
    this.cutPartial(segment);
    segment.textDone = true;
    // Nothing to say: no audio will come for it.
    if (segment.startAt === undefined && segment.units.every((u) => u.text.trim() === '')) {
      segment.voiced = false;
    }
    this.pump();
  }

  // ---- audio side: the session's AudioOutput events ----

  playbackStarted(createdAt: number): void {
    const segment = this.segments.find((s) => s.voiced && s.startAt === undefined && s.cutAt === undefined);
    if (segment === undefined) {
      this.earlyStart = createdAt;
      return;
    }
    segment.startAt = createdAt;
    this.pump();
  }

  playbackFinished(event: voice.PlaybackFinishedEvent): void {
    const segment =
      this.segments.find(
        (s) => s.voiced && s.startAt !== undefined && !s.playedOut && s.cutAt === undefined,
      ) ?? this.segments.find((s) => s.voiced && !s.playedOut && s.cutAt === undefined);
    if (segment === undefined) return;
    if (event.interrupted) segment.cutAt = segment.startAt === undefined ? 0 : event.playbackPosition * 1000;
    else segment.playedOut = true;
    this.pump();
  }

  /**
   * The agent stopped speaking (the session's state left `speaking`/`thinking`): a generation whose
   * text is complete but whose audio never started never will (it was interrupted before its first
   * frame, or its TTS made no audio). It ends with nothing spoken.
   */
  speechEnded(): void {
    for (const segment of this.segments) {
      if (
        segment.voiced &&
        segment.textDone &&
        segment.startAt === undefined &&
        segment.cutAt === undefined
      ) {
        segment.cutAt = 0;
      }
    }
    this.pump();
  }

  /** Releases what is due, in playback order, and schedules the next release. */
  private pump(): void {
    for (;;) {
      const head = this.segments[0];
      if (head === undefined) return;
      if (head.timer !== undefined) {
        this.clock.clearTimeout(head.timer);
        head.timer = undefined;
      }
      const now = this.clock.now();
      while (head.units.length > 0) {
        const unit = head.units[0]!;
        if (head.cutAt !== undefined) {
          if (head.startAt === undefined || unit.at >= head.cutAt) {
            head.units.length = 0;
            break;
          }
        } else if (head.voiced && !head.playedOut) {
          if (head.startAt === undefined) break;
          if (head.startAt + unit.at > now) {
            head.timer = this.clock.setTimeout(() => this.pump(), head.startAt + unit.at - now);
            break;
          }
        }
        head.units.shift();
        head.lastAt = unit.at;
        this.deliver(unit);
      }
      if (!head.textDone) return;
      const finished = !head.voiced || head.playedOut || head.cutAt !== undefined;
      if (!finished || head.units.length > 0) return;
      this.segments.shift();
      const interrupted = head.cutAt !== undefined;
      this.delivery = this.delivery.then(() => this.sink.flush(interrupted ? { interrupted } : undefined));
    }
  }

  private deliver(unit: Unit): void {
    const timed = voice.createTimedString({ text: unit.text, startTime: unit.at / 1000 });
    // In order, and never blocking the pacer: a reader's overflow policy applies as usual.
    this.delivery = this.delivery.then(() => this.sink.captureText(timed)).catch(() => undefined);
  }

  private isFirstUnstarted(segment: Segment): boolean {
    return (
      this.segments.find((s) => s.voiced && s.startAt === undefined && s.cutAt === undefined) === segment
    );
  }

  private emptySegment(): Segment {
    const segment: Segment = {
      voiced: false,
      units: [],
      partial: '',
      nextAt: 0,
      lastAt: 0,
      textDone: false,
      playedOut: false,
    };
    this.segments.push(segment);
    return segment;
  }

  /** Moves every complete word (a run of non-space followed by a space) out of `partial`. */
  private cutWords(segment: Segment): void {
    const complete = /^\s*\S+(?=\s)/;
    for (let match = complete.exec(segment.partial); match !== null; match = complete.exec(segment.partial)) {
      this.addUnit(segment, match[0]);
      segment.partial = segment.partial.slice(match[0].length);
    }
  }

  private cutPartial(segment: Segment): void {
    if (segment.partial === '') return;
    this.addUnit(segment, segment.partial);
    segment.partial = '';
  }

  private addUnit(segment: Segment, text: string): void {
    segment.units.push({ text, at: segment.nextAt });
    segment.nextAt += this.durationOf(text);
  }

  /** The framework's estimate: syllables (its hyphenation) at `speechRate` per second. */
  private durationOf(text: string): number {
    let syllables = 0;
    for (const [word] of tokenize.basic.splitWords(text))
      syllables += tokenize.basic.hyphenateWord(word).length;
    return syllables * this.msPerSyllable;
  }
}
