import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { log, tokenize, voice } from '@livekit/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamEvent, StreamingTextOutput, type TextDeltaEvent } from '../src/index.js';
import { SpokenPacer, STANDARD_SPEECH_RATE } from '../src/timing/spoken-pacer.js';
import { ClockAudioOutput, FRAME_MS, SpeakingAgent, silentFrame } from './helpers/clock-audio-output.js';
import { createFakeRoom } from './helpers/fake-room.js';
import { ManualClock } from './helpers/manual-clock.js';
import { WEATHER_SCRIPT, weatherTool } from './helpers/session.js';

const REPLY = 'The quick brown fox jumps over the lazy dog, and then it naps in the warm afternoon sun.';
const SECOND = 'Anything else I can help with today?';

const sessions: voice.AgentSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

/** Each event with the fake clock's time when a reader took it. */
interface Seen {
  event: StreamEvent;
  at: number;
}

function record(output: StreamingTextOutput, clock: ManualClock): { seen: Seen[]; done: Promise<void> } {
  const seen: Seen[] = [];
  const done = (async () => {
    for await (const event of output.subscribe()) seen.push({ event, at: clock.now() });
  })();
  return { seen, done };
}

const deltas = (seen: Seen[]) =>
  seen.filter((s): s is { event: TextDeltaEvent; at: number } => s.event.type === 'text_delta');
const completes = (seen: Seen[]) => seen.flatMap((s) => (s.event.type === 'text_complete' ? [s.event] : []));

/**
 * Each word's start and end (ms) by the framework's own hyphenation at its speech rate, computed
 * independently of the pacer: the schedule of the framework's `TranscriptionSynchronizer`, which
 * counts a word as spoken once playback reaches its end.
 */
function estimatedWords(text: string): { word: string; at: number; end: number }[] {
  const words = text.match(/\s*\S+/g) ?? [];
  let syllables = 0;
  return words.map((word) => {
    const at = (syllables / STANDARD_SPEECH_RATE) * 1000;
    for (const [w] of tokenize.basic.splitWords(word)) syllables += tokenize.basic.hyphenateWord(w).length;
    return { word, at, end: (syllables / STANDARD_SPEECH_RATE) * 1000 };
  });
}

/** A real AgentSession whose agent "speaks" through a TTS stand-in onto an audio output playing on `clock`. */
async function speakingSession(
  clock: ManualClock,
  {
    room = false,
    msPerChar = 80,
    order = 'before start',
  }: { room?: boolean; msPerChar?: number; order?: string } = {},
) {
  const session = new voice.AgentSession({
    llm: new voice.testing.FakeLLM([
      { input: 'tell me', content: REPLY },
      { input: 'more', content: SECOND },
      ...WEATHER_SCRIPT,
    ]),
  });
  sessions.push(session);
  const audio = new ClockAudioOutput(clock);
  session.output.audio = audio;
  const attach = () => StreamingTextOutput.attach(session, { timing: 'both', clock });
  let output = order === 'before start' ? attach() : undefined;
  const fake = createFakeRoom();
  await session.start({
    agent: new SpeakingAgent({ instructions: 'x', tools: { getWeather: weatherTool() } }, msPerChar),
    ...(room
      ? { room: fake.room, inputOptions: { audioEnabled: false }, outputOptions: { audioEnabled: false } }
      : {}),
  });
  output ??= attach();
  for (let i = 0; i < 5; i++) await immediate();
  return { session, audio, output, fake };
}

/** Advances the clock until `done` settles (or `limitMs` of fake time passed). */
async function playUntil(clock: ManualClock, done: Promise<unknown>, limitMs = 20_000): Promise<void> {
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  for (let t = 0; t < limitMs && !settled; t += FRAME_MS) await clock.run(FRAME_MS, FRAME_MS);
  expect(settled).toBe(true);
}

/**
 * One turn on a speaking session, the clock played until the run is over and `spokenCompletes`
 * spoken generations have completed; then both readers are closed. What each reader saw.
 */
async function speakTurn(userInput: string, spokenCompletes: number) {
  const clock = new ManualClock();
  const { session, audio, output } = await speakingSession(clock);
  const spoken = record(output.spoken, clock);
  const generated = record(output, clock);
  await playUntil(clock, session.run({ userInput }).wait());
  await playUntil(
    clock,
    (async () => {
      while (completes(spoken.seen).length < spokenCompletes) await immediate();
    })(),
  );
  output.close();
  output.spoken.close();
  await Promise.all([spoken.done, generated.done]);
  return { audio, spoken, generated };
}

describe('spoken timing: a real session, audio playing on a fake clock', () => {
  it("spoken deltas arrive in playback order, each when playback reaches the word's end (the synchronizer's schedule), within one frame", async () => {
    const { audio, spoken, generated } = await speakTurn('tell me', 1);

    const startedAt = audio.log.started[0]!;
    const words = estimatedWords(REPLY);
    const ds = deltas(spoken.seen);
    // In order: the deltas are the reply's words, one by one.
    expect(ds.map((d) => d.event.delta)).toEqual(words.map((w) => w.word));
    for (const [i, d] of ds.entries()) {
      // startTime says where the word starts; the delta comes when the word has been said.
      expect(d.event.startTime! * 1000).toBeCloseTo(words[i]!.at, 6);
      const scheduled = startedAt + words[i]!.end;
      expect(d.at).toBeGreaterThanOrEqual(startedAt);
      expect(d.at).toBeGreaterThanOrEqual(scheduled);
      expect(d.at - scheduled).toBeLessThan(FRAME_MS);
    }
    // The reply's audio (80 ms a character) outlasts the estimate: no word was released by the end of playback.
    expect(words.at(-1)!.end).toBeLessThan(REPLY.length * 80);
    expect(completes(spoken.seen)).toEqual([{ type: 'text_complete', text: REPLY, generation: 1 }]);
    // The generated reader had the whole reply before the audio had even started playing most of it.
    expect(completes(generated.seen)).toEqual([{ type: 'text_complete', text: REPLY, generation: 1 }]);
    expect(generated.seen.at(-1)!.at).toBeLessThan(ds.at(-1)!.at);
  });

  it('an interrupt at a known playback offset ends the spoken generation with exactly the words whose end playback had reached', async () => {
    const clock = new ManualClock();
    const { session, audio, output } = await speakingSession(clock);
    const spoken = record(output.spoken, clock);
    const generated = record(output, clock);
    const run = session.run({ userInput: 'tell me' });
    await playUntil(
      clock,
      (async () => {
        while (audio.log.started.length < 1) await immediate();
      })(),
    );
    const cutMs = 1_000;
    await clock.run(audio.log.started[0]! + cutMs - clock.now());
    expect(audio.positionMs()).toBe(cutMs);
    await session.interrupt().await;
    await run.wait().catch(() => undefined);
    await playUntil(
      clock,
      (async () => {
        while (completes(spoken.seen).length < 1) await immediate();
      })(),
    );
    // The next turn is spoken whole, as its own generation.
    await playUntil(clock, session.run({ userInput: 'more' }).wait());
    await playUntil(
      clock,
      (async () => {
        while (completes(spoken.seen).length < 2) await immediate();
      })(),
    );
    output.close();
    output.spoken.close();
    await Promise.all([spoken.done, generated.done]);

    expect(audio.log.finished[0]).toMatchObject({ interrupted: true, playbackPosition: cutMs / 1000 });
    const heard = estimatedWords(REPLY)
      .filter((w) => w.end <= cutMs)
      .map((w) => w.word)
      .join('');
    expect(heard.length).toBeGreaterThan(0);
    expect(heard.length).toBeLessThan(REPLY.length);
    expect(completes(spoken.seen)).toEqual([
      { type: 'text_complete', text: heard, generation: 1, interrupted: true },
      { type: 'text_complete', text: SECOND, generation: 2 },
    ]);
    // Generated and spoken readers on one session agree: the spoken text is a prefix of the generated text,
    // generation by generation, and the deltas of each add up to its text_complete.
    const gen = completes(generated.seen);
    expect(gen.map((c) => c.generation)).toEqual([1, 2]);
    expect(gen[0]!.text.startsWith(heard)).toBe(true);
    expect(gen[1]!.text).toBe(SECOND);
    for (const seen of [spoken.seen, generated.seen]) {
      for (const c of completes(seen)) {
        const text = deltas(seen)
          .filter((d) => d.event.generation === c.generation)
          .map((d) => d.event.delta)
          .join('');
        expect(text).toBe(c.text);
      }
    }
  });

  it('a tool-call turn: both generations are spoken, each after its own audio, and agree with the generated ones', async () => {
    const { audio, spoken, generated } = await speakTurn('weather in Paris?', 2);
    const texts = ['Let me check the weather.', 'It is sunny in Paris today.'];
    expect(completes(generated.seen).map((c) => c.text)).toEqual(texts);
    expect(completes(spoken.seen)).toEqual([
      { type: 'text_complete', text: texts[0], generation: 1 },
      { type: 'text_complete', text: texts[1], generation: 2 },
    ]);
    // Each generation's words wait for its own audio segment.
    expect(audio.log.started).toHaveLength(2);
    const ds = deltas(spoken.seen);
    for (const d of ds) expect(d.at).toBeGreaterThanOrEqual(audio.log.started[d.event.generation - 1]!);
    const secondStart = audio.log.started[1]!;
    expect(ds.filter((d) => d.event.generation === 1).every((d) => d.at <= secondStart)).toBe(true);
  });

  for (const order of ['before start', 'after start']) {
    it(`attached ${order}, in a room, spoken timing sits beside the room output: the room gets its transcription, our spoken reader the played words`, async () => {
      const clock = new ManualClock();
      const warn = vi.spyOn(log(), 'warn');
      const { session, output, fake } = await speakingSession(clock, { room: true, order });
      const spoken = record(output.spoken, clock);
      const generated = record(output, clock);
      expect(session.output.audio?.constructor.name).toBe('SyncedAudioOutput');
      await playUntil(clock, session.run({ userInput: 'tell me' }).wait());
      await playUntil(
        clock,
        (async () => {
          while (completes(spoken.seen).length < 1) await immediate();
        })(),
      );
      await playUntil(
        clock,
        (async () => {
          while (fake.agentTranscripts().length < 1) await immediate();
        })(),
      );
      output.close();
      output.spoken.close();
      await Promise.all([spoken.done, generated.done]);
      expect(completes(spoken.seen).map((c) => c.text)).toEqual([REPLY]);
      expect(completes(generated.seen).map((c) => c.text)).toEqual([REPLY]);
      expect(fake.agentTranscripts()).toEqual([REPLY]);
      expect(warn).not.toHaveBeenCalled();
      warn.mockRestore();
    });
  }
});

describe('SpokenPacer on its own', () => {
  function pacerWithAudio() {
    const clock = new ManualClock();
    const sink = new StreamingTextOutput();
    const pacer = new SpokenPacer(sink, { clock });
    const audio = new ClockAudioOutput(clock);
    audio.on(voice.AudioOutput.EVENT_PLAYBACK_STARTED, (e: voice.PlaybackStartedEvent) =>
      pacer.playbackStarted(e.createdAt),
    );
    audio.on(voice.AudioOutput.EVENT_PLAYBACK_FINISHED, (e: voice.PlaybackFinishedEvent) =>
      pacer.playbackFinished(e),
    );
    return { clock, sink, pacer, audio };
  }

  async function play(audio: ClockAudioOutput, ms: number) {
    for (let t = 0; t < ms; t += FRAME_MS) await audio.captureFrame(silentFrame());
    audio.flush();
  }

  it('uses the TTS word timings (TimedString startTime/endTime) when given', async () => {
    const { clock, sink, pacer, audio } = pacerWithAudio();
    const seen = record(sink, clock);
    const words = [
      { text: 'Hello', startTime: 0, endTime: 0.4 },
      { text: ' big', startTime: 0.5, endTime: 0.9 },
      { text: ' world.', startTime: 1.25, endTime: 1.75 },
    ];
    for (const w of words) pacer.pushText(voice.createTimedString(w), true);
    pacer.endText();
    await play(audio, 2_000);
    const startedAt = audio.log.started[0]!;
    await clock.run(2_100);
    sink.close();
    await seen.done;
    const ds = deltas(seen.seen);
    expect(ds.map((d) => d.event.delta)).toEqual(['Hello', ' big', ' world.']);
    for (const [i, d] of ds.entries()) {
      expect(d.event.startTime).toBe(words[i]!.startTime);
      const scheduled = startedAt + words[i]!.endTime * 1000;
      expect(d.at).toBeGreaterThanOrEqual(scheduled);
      expect(d.at - scheduled).toBeLessThan(FRAME_MS);
    }
  });

  it('holds text until its audio starts, however early the text came', async () => {
    const { clock, sink, pacer, audio } = pacerWithAudio();
    const seen = record(sink, clock);
    pacer.pushText('Waiting for the audio. ', true);
    pacer.endText();
    await clock.run(5_000);
    expect(seen.seen).toEqual([]);
    await play(audio, 3_000);
    await clock.run(3_100);
    sink.close();
    await seen.done;
    expect(deltas(seen.seen)[0]!.at).toBeGreaterThanOrEqual(audio.log.started[0]!);
    expect(completes(seen.seen).map((c) => c.text)).toEqual(['Waiting for the audio. ']);
  });

  it('a generation with no audio output is spoken as generated; one whose audio never starts ends empty and interrupted when the agent stops speaking', async () => {
    const { clock, sink, pacer } = pacerWithAudio();
    const seen = record(sink, clock);
    pacer.pushText('No audio here.', false);
    pacer.endText();
    pacer.pushText('Cut before the first frame.', true);
    pacer.endText();
    await clock.run(50);
    expect(completes(seen.seen)).toEqual([{ type: 'text_complete', text: 'No audio here.', generation: 1 }]);
    pacer.speechEnded();
    await clock.run(50);
    sink.close();
    await seen.done;
    expect(completes(seen.seen)[1]).toEqual({
      type: 'text_complete',
      text: '',
      generation: 2,
      interrupted: true,
    });
  });

  it('rejects a speech rate that is not a positive number', () => {
    const sink = new StreamingTextOutput();
    expect(() => new SpokenPacer(sink, { clock: new ManualClock(), speechRate: 0 })).toThrow(RangeError);
    expect(() => new SpokenPacer(sink, { clock: new ManualClock(), speechRate: Number.NaN })).toThrow(
      /speechRate/,
    );
  });
});

describe('spoken timing and the framework it reads', () => {
  it("paces with the framework's own speech-rate constant (fails when an upgrade changes it)", () => {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@livekit/agents');
    const source = readFileSync(join(dirname(entry), 'voice/transcription/synchronizer.js'), 'utf8');
    const match = /STANDARD_SPEECH_RATE = ([\d.]+)/.exec(source);
    expect(match?.[1]).toBeDefined();
    expect(Number(match![1])).toBe(STANDARD_SPEECH_RATE);
  });

  it('attach() rejects an unknown timing or a bad speech rate, naming the option and the value, and attaches nothing', () => {
    const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM([]) });
    sessions.push(session);
    expect(() => StreamingTextOutput.attach(session, { timing: 'later' as 'spoken' })).toThrow(TypeError);
    expect(() => StreamingTextOutput.attach(session, { timing: 'later' as 'spoken' })).toThrow(
      /timing.*"later"/,
    );
    expect(() => StreamingTextOutput.attach(session, { timing: 'spoken', speechRate: -1 })).toThrow(
      RangeError,
    );
    expect(() => StreamingTextOutput.attach(session, { timing: 'spoken', speechRate: -1 })).toThrow(
      /speechRate.*-1/,
    );
    expect(session.output.transcription).toBeNull();
  });
});
