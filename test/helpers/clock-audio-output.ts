import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setImmediate as immediate } from 'node:timers/promises';
import { voice } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import type { Clock } from '../../src/timing/clock.js';

export const SAMPLE_RATE = 24_000;
/** Every frame our test TTS makes is this long. */
export const FRAME_MS = 10;

interface Segment {
  pushedMs: number;
  flushed: boolean;
  startAt?: number;
  finished: boolean;
  endTimer?: unknown;
}

export interface PlaybackLog {
  started: number[];
  finished: voice.PlaybackFinishedEvent[];
}

/**
 * An `AudioOutput` that "plays" what it is given, the way `ParticipantAudioOutput` does for a
 * room, and reports it with the framework's playback events (started / progressed / finished).
 *
 * - With a `clock`, playback runs on that clock in real time: a segment starts when its first
 *   frame arrives (or when the previous segment ends), plays for as long as the audio pushed, and
 *   `clearBuffer()` stops it at the clock's position.
 * - Without one, playback is instant: started on the first frame, finished right after `flush()`.
 */
export class ClockAudioOutput extends voice.AudioOutput {
  readonly log: PlaybackLog = { started: [], finished: [] };
  /** Instant mode: while true, a flushed segment keeps "playing" until `clearBuffer()`. */
  hold = false;
  private readonly queue: Segment[] = [];
  private current: Segment | undefined;

  constructor(private readonly clock?: Clock) {
    // pause: true only so the session does not warn about resumeFalseInterruption; never paused here.
    super(SAMPLE_RATE, undefined, { pause: true });
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.current === undefined || this.current.flushed) {
      this.current = { pushedMs: 0, flushed: false, finished: false };
      this.queue.push(this.current);
      this.startNext();
    }
    this.current.pushedMs += (frame.samplesPerChannel / frame.sampleRate) * 1000;
  }

  override flush(): void {
    super.flush();
    const segment = this.current;
    if (segment === undefined || segment.flushed) return;
    segment.flushed = true;
    if (this.clock === undefined) {
      if (!this.hold) void immediate().then(() => this.finish(segment, false));
    } else {
      this.scheduleEnd(segment);
    }
  }

  clearBuffer(): void {
    const playing = this.queue[0];
    if (playing === undefined) return;
    for (const segment of this.queue.slice(1)) this.finish(segment, true, 0);
    this.finish(playing, true);
  }

  /** Where playback of the playing segment is, in ms since it started. */
  positionMs(): number {
    const playing = this.queue[0];
    if (playing?.startAt === undefined) return 0;
    const now = this.clock?.now() ?? Date.now();
    return Math.min(playing.pushedMs, now - playing.startAt);
  }

  private startNext(): void {
    const next = this.queue[0];
    if (next === undefined || next.startAt !== undefined) return;
    const start = () => {
      if (next.finished || next.startAt !== undefined) return;
      next.startAt = this.clock?.now() ?? Date.now();
      this.log.started.push(next.startAt);
      this.onPlaybackStarted(next.startAt);
      if (next.flushed && this.clock !== undefined) this.scheduleEnd(next);
    };
    // Like ParticipantAudioOutput: reported from inside captureFrame of the first frame played.
    start();
  }

  private scheduleEnd(segment: Segment): void {
    if (this.clock === undefined || segment.startAt === undefined || segment.endTimer !== undefined) return;
    const remaining = segment.startAt + segment.pushedMs - this.clock.now();
    segment.endTimer = this.clock.setTimeout(() => this.finish(segment, false), remaining);
  }

  private finish(segment: Segment, interrupted: boolean, positionMs?: number): void {
    if (segment.finished) return;
    const isPlaying = this.queue[0] === segment;
    const position = positionMs ?? (isPlaying ? (interrupted ? this.positionMs() : segment.pushedMs) : 0);
    segment.finished = true;
    if (segment.endTimer !== undefined) this.clock?.clearTimeout(segment.endTimer);
    this.queue.splice(this.queue.indexOf(segment), 1);
    if (segment.startAt !== undefined || !interrupted) {
      const event: voice.PlaybackFinishedEvent = { playbackPosition: position / 1000, interrupted };
      this.log.finished.push(event);
      this.onPlaybackFinished(event);
    }
    if (isPlaying) this.startNext();
  }
}

/** A silent frame of FRAME_MS. */
export function silentFrame(): AudioFrame {
  const samples = (SAMPLE_RATE * FRAME_MS) / 1000;
  return new AudioFrame(new Int16Array(samples), SAMPLE_RATE, 1, samples);
}

/**
 * An agent whose `ttsNode` turns text into silence: `msPerChar` of audio for each character, so a
 * reply's audio length follows its text. Stands in for a TTS without any network.
 */
export class SpeakingAgent extends voice.Agent {
  constructor(
    options: ConstructorParameters<typeof voice.Agent>[0],
    private readonly msPerChar = FRAME_MS,
  ) {
    super(options);
  }

  override async ttsNode(
    text: WebReadableStream<string> | AsyncIterable<string>,
  ): Promise<WebReadableStream<AudioFrame> | null> {
    const msPerChar = this.msPerChar;
    const iterable = text as AsyncIterable<string>;
    return new WebReadableStream<AudioFrame>({
      async start(controller) {
        let owedMs = 0;
        for await (const chunk of iterable) {
          owedMs += chunk.length * msPerChar;
          while (owedMs >= FRAME_MS) {
            controller.enqueue(silentFrame());
            owedMs -= FRAME_MS;
          }
        }
        if (owedMs > 0) controller.enqueue(silentFrame());
        controller.close();
      },
    });
  }
}
