import { tokenize, voice } from '@livekit/agents';
import type { TimedString } from '../core/text-output.js';
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
  /** Milliseconds after the segment's playback started: where the word starts (its delta's `startTime`). */
  at: number;
  /** How long the word lasts (ms): its syllables at the speech rate, or the TTS's timing. */
  duration: number;
  /** The TTS's end time for the word (ms), when it gave word timings. */
  end?: number;
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
  textDone: boolean;
  /** Clock time (ms) its playback started. */
  startAt?: number;
  /** Time (ms) the speech was paused since it started: not counted as playback. */
  pausedMs: number;
  /** The estimated end (ms of playback) of the words released so far. */
  spokenEnd: number;
  /** Text released so far. */
  spoken: string;
  /** Clock time (ms) the word in progress completes: it completes even if the speech pauses. */
  dueAt?: number;
  /** Playback finished: everything is released at once. */
  playedOut: boolean;
  /** Playback was cut: the words that count as spoken, by text (the room's transcript) or by position (ms). */
  cut?: { text: string } | { at: number };
  timer?: unknown;
}

/**
 * Releases a generation's text as its audio plays, by the rule the framework uses for what was
 * spoken: the room's `TranscriptionSynchronizer` (`voice/transcription/synchronizer`), whose
 * `synchronizedTranscript` is what an interrupted reply's chat message says.
 *
 * Text arrives at generation speed (`pushText`/`endText`, from a tap in front of the session's
 * transcription chain). Audio arrives as the session's `AudioOutput` playback events: a segment
 * binds to the next `playbackStarted`, in order. Words are then released one at a time, each
 * when playback reaches its end: its syllables (the framework's hyphenation) at the framework's
 * speech rate after the previous word's end, or the TTS's `TimedString` end time; a word that
 * comes due while the reader is behind is released at once. Paused speech (the framework's
 * false-interruption pause, seen as the agent leaving `speaking`) finishes the word in progress
 * and holds the rest until it resumes; paused time does not count as playback.
 *
 * A normal `playbackFinished` releases the rest at once. An interrupted one ends the generation
 * with `interrupted: true` and the spoken words: in a room, exactly the event's
 * `synchronizedTranscript` (the synchronizer's, which the chat history also records); without
 * one, the words whose end `playbackPosition` had reached.
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
  /** Clock time the speech was paused, while it is. */
  private pausedAt: number | undefined;
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
      segment = newSegment(voiced);
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
      const last = segment.units.at(-1);
      const at = Math.max(last?.at ?? 0, text.startTime * 1000);
      const end =
        text.endTime !== undefined ? Math.max(at, text.endTime * 1000) : at + this.durationOf(text.text);
      segment.units.push({ text: text.text, at, duration: end - at, end });
      segment.nextAt = end;
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
    // New audio plays only once the framework has resumed its output: no pause carries over.
    this.resume();
    const segment = this.segments.find((s) => s.voiced && s.startAt === undefined && s.cut === undefined);
    if (segment === undefined) {
      this.earlyStart = createdAt;
      return;
    }
    segment.startAt = createdAt;
    this.pump();
  }

  playbackFinished(event: voice.PlaybackFinishedEvent): void {
    const segment =
      this.segments.find((s) => s.voiced && s.startAt !== undefined && !s.playedOut && s.cut === undefined) ??
      this.segments.find((s) => s.voiced && !s.playedOut && s.cut === undefined);
    if (segment === undefined) return;
    if (!event.interrupted) segment.playedOut = true;
    else if (segment.startAt === undefined) segment.cut = { text: '' };
    else if (typeof event.synchronizedTranscript === 'string')
      segment.cut = { text: event.synchronizedTranscript };
    else segment.cut = { at: event.playbackPosition * 1000 };
    this.pump();
  }

  /** The speech paused (false interruption): the word in progress completes, the rest waits. */
  pause(): void {
    // Only a playing segment pauses; the agent's speech simply ending is not a pause.
    if (
      !this.segments.some((s) => s.voiced && s.startAt !== undefined && !s.playedOut && s.cut === undefined)
    )
      return;
    this.pausedAt ??= this.clock.now();
  }

  /** The paused speech resumed: the time it was paused does not count as playback. */
  resume(): void {
    const pausedAt = this.pausedAt;
    if (pausedAt === undefined) return;
    this.pausedAt = undefined;
    const now = this.clock.now();
    for (const segment of this.segments) {
      if (segment.startAt !== undefined) segment.pausedMs += now - Math.max(segment.startAt, pausedAt);
    }
    this.pump();
  }

  /**
   * The agent stopped speaking (the session's state left `speaking`/`thinking`): a generation whose
   * text is complete but whose audio never started never will (it was interrupted before its first
   * frame, or its TTS made no audio). It ends with nothing spoken.
   */
  speechEnded(): void {
    for (const segment of this.segments) {
      if (segment.voiced && segment.textDone && segment.startAt === undefined && segment.cut === undefined) {
        segment.cut = { text: '' };
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
      if (head.cut !== undefined) this.releaseCut(head, head.cut);
      else if (!head.voiced || head.playedOut) this.releaseAll(head);
      else if (head.startAt !== undefined) this.releaseDue(head, head.startAt);
      if (!head.textDone) return;
      const finished = !head.voiced || head.playedOut || head.cut !== undefined;
      if (!finished || head.units.length > 0) return;
      this.segments.shift();
      const interrupted = head.cut !== undefined;
      this.delivery = this.delivery.then(() => this.sink.flush(interrupted ? { interrupted } : undefined));
    }
  }

  /**
   * The synchronizer's loop, word by word: a word starts when the previous one is released (and
   * the speech is not paused), and is released at its end, or at once if playback is already
   * past it. The word in progress completes on time even if the speech pauses meanwhile.
   */
  private releaseDue(head: Segment, startAt: number): void {
    while (head.units.length > 0) {
      const now = this.clock.now();
      if (head.dueAt === undefined) {
        if (this.pausedAt !== undefined) return;
        const unit = head.units[0]!;
        const elapsed = now - startAt - head.pausedMs;
        let due: number;
        if (unit.end !== undefined) due = Math.max(elapsed, unit.end);
        else if (elapsed >= head.spokenEnd) due = Math.max(elapsed, head.spokenEnd + unit.duration);
        else due = elapsed + unit.duration;
        head.dueAt = now + (due - elapsed);
      }
      if (head.dueAt > now) {
        head.timer = this.clock.setTimeout(() => this.pump(), head.dueAt - now);
        return;
      }
      this.release(head);
    }
  }

  private releaseAll(head: Segment): void {
    while (head.units.length > 0) this.release(head);
  }

  /** Releases the words the cut counts as spoken and drops the rest. */
  private releaseCut(head: Segment, cut: { text: string } | { at: number }): void {
    if ('text' in cut) {
      // The room's transcript: its words, then any part of it not yet released as a word.
      for (let unit = head.units[0]; unit !== undefined; unit = head.units[0]) {
        if (!cut.text.startsWith(head.spoken + unit.text)) break;
        this.release(head);
      }
      if (cut.text.length > head.spoken.length && cut.text.startsWith(head.spoken)) {
        this.deliver({
          text: cut.text.slice(head.spoken.length),
          at: head.units[0]?.at ?? head.nextAt,
          duration: 0,
        });
        head.spoken = cut.text;
      }
    } else {
      for (let unit = head.units[0]; unit !== undefined; unit = head.units[0]) {
        if ((unit.end ?? head.spokenEnd + unit.duration) > cut.at) break;
        this.release(head);
      }
    }
    head.units.length = 0;
    head.dueAt = undefined;
  }

  private release(head: Segment): void {
    const unit = head.units.shift()!;
    head.spokenEnd = unit.end ?? head.spokenEnd + unit.duration;
    head.spoken += unit.text;
    head.dueAt = undefined;
    this.deliver(unit);
  }

  private deliver(unit: Unit): void {
    const timed = voice.createTimedString({ text: unit.text, startTime: unit.at / 1000 });
    // In order, and never blocking the pacer: a reader's overflow policy applies as usual.
    this.delivery = this.delivery.then(() => this.sink.captureText(timed)).catch(() => undefined);
  }

  private isFirstUnstarted(segment: Segment): boolean {
    return this.segments.find((s) => s.voiced && s.startAt === undefined && s.cut === undefined) === segment;
  }

  private emptySegment(): Segment {
    const segment = newSegment(false);
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
    const duration = this.durationOf(text);
    segment.units.push({ text, at: segment.nextAt, duration });
    segment.nextAt += duration;
  }

  /** The framework's estimate: syllables (its hyphenation) at `speechRate` per second. */
  private durationOf(text: string): number {
    let syllables = 0;
    for (const [word] of tokenize.basic.splitWords(text))
      syllables += tokenize.basic.hyphenateWord(word).length;
    return syllables * this.msPerSyllable;
  }
}

function newSegment(voiced: boolean): Segment {
  return {
    voiced,
    units: [],
    partial: '',
    nextAt: 0,
    textDone: false,
    pausedMs: 0,
    spokenEnd: 0,
    spoken: '',
    playedOut: false,
  };
}
