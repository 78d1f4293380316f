import { voice } from '@livekit/agents';
import { TextOutputBase, type TimedString } from '../core/text-output.js';
import type { SpokenPacer } from './spoken-pacer.js';

/** What the tap reads from the session: its audio output, and its agent state events. */
export type SpokenSession = Pick<voice.AgentSession, 'output'> &
  Partial<Pick<voice.AgentSession, 'on' | 'off'>>;

/**
 * A `TextOutput` in front of the session's transcription chain that hands every chunk to a
 * `SpokenPacer` and passes it on unchanged. It also listens to the public playback events of
 * whatever `AudioOutput` the session has when each generation starts (RoomIO and the recorder
 * replace it during `start()`), and to the session's agent state.
 */
export class SpokenTap extends TextOutputBase {
  readonly label = 'streaming_text_spoken_tap';
  private audio: voice.AudioOutput | undefined;
  private inGeneration = false;
  private readonly onStarted = (event: voice.PlaybackStartedEvent) =>
    this.pacer.playbackStarted(event.createdAt);
  private readonly onFinished = (event: voice.PlaybackFinishedEvent) => this.pacer.playbackFinished(event);
  private readonly onState = (event: voice.AgentStateChangedEvent) => {
    // 'thinking' comes before a reply's first audio: the moment to pick up a replaced audio output.
    this.follow(this.currentAudio());
    // The framework pauses a speech on a possible false interruption: it sets the agent from
    // 'speaking' to 'listening' as it pauses the audio, and back to 'speaking' as it resumes it.
    if (event.oldState === 'speaking' && event.newState === 'listening') this.pacer.pause();
    if (event.newState === 'speaking') this.pacer.resume();
    if (event.newState === 'listening' || event.newState === 'idle') this.pacer.speechEnded();
  };

  constructor(
    private readonly session: SpokenSession,
    private readonly pacer: SpokenPacer,
  ) {
    super();
    session.on?.(voice.AgentSessionEventTypes.AgentStateChanged, this.onState);
    this.follow(this.currentAudio());
  }

  captureText(text: string | TimedString): Promise<void> {
    if (!this.inGeneration) {
      this.inGeneration = true;
      this.follow(this.currentAudio());
    }
    this.pacer.pushText(text, this.audio !== undefined);
    return this.nextInChain?.captureText(text) ?? Promise.resolve();
  }

  flush(): void {
    this.inGeneration = false;
    this.pacer.endText();
    this.nextInChain?.flush();
  }

  /** Stops listening to the session and its audio output. */
  dispose(): void {
    this.session.off?.(voice.AgentSessionEventTypes.AgentStateChanged, this.onState);
    this.follow(undefined);
  }

  private currentAudio(): voice.AudioOutput | undefined {
    return this.session.output.audioEnabled ? (this.session.output.audio ?? undefined) : undefined;
  }

  private follow(audio: voice.AudioOutput | undefined): void {
    if (audio === this.audio) return;
    this.audio?.off(voice.AudioOutput.EVENT_PLAYBACK_STARTED, this.onStarted);
    this.audio?.off(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, this.onFinished);
    this.audio = audio;
    audio?.on(voice.AudioOutput.EVENT_PLAYBACK_STARTED, this.onStarted);
    audio?.on(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, this.onFinished);
  }
}
