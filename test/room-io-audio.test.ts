import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { log, tokenize, voice } from '@livekit/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamEvent, StreamingTextOutput } from '../src/index.js';
import { STANDARD_SPEECH_RATE } from '../src/timing/spoken-pacer.js';
import { SpeakingAgent } from './helpers/clock-audio-output.js';
import { createFakeRoom } from './helpers/fake-room.js';

/**
 * The room as LiveKit developers run it: the real RoomIO with audio enabled creates its own
 * `ParticipantAudioOutput` (nothing is set on `session.output.audio` beforehand), which plays
 * through the real `AudioSource` of @livekit/rtc-node, in real time, offline. RoomIO puts its
 * `TranscriptionSynchronizer` in front of it, and that is what the chat history's text of an
 * interrupted reply comes from.
 */

// Long words (3 to 6 syllables, about a second each at the framework's speech rate) so that an
// interrupt placed in the middle of one is far from both of its ends, even on a loaded machine.
const REPLY =
  'Extraordinary conversations happen unexpectedly whenever curious travellers communicate enthusiastically about unforgettable adventures.';

/** The first words of REPLY: the false-interruption test plays a reply to its end. */
const SHORT = REPLY.split(' ').slice(0, 6).join(' ');

const sessions: voice.AgentSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const until = (check: () => void, timeout = 20_000) => vi.waitFor(check, { timeout, interval: 10 });

/** Each word's length in ms by the framework's own estimate (syllables at its speech rate). */
function wordMs(word: string): number {
  let syllables = 0;
  for (const [w] of tokenize.basic.splitWords(word)) syllables += tokenize.basic.hyphenateWord(w).length;
  return (syllables / STANDARD_SPEECH_RATE) * 1000;
}

type Order = 'before start' | 'after start';

/** A real AgentSession in a fake room whose RoomIO makes its own audio output. */
async function startInRoom(order: Order, sessionOptions: Partial<voice.AgentSessionOptions> = {}) {
  const fake = createFakeRoom();
  const session = new voice.AgentSession({
    llm: new voice.testing.FakeLLM([
      { input: 'tell me', content: REPLY },
      { input: 'briefly', content: SHORT },
    ]),
    // No echo-cancellation warm-up: the test's false interruption comes a second into the speech.
    aecWarmupDuration: 0,
    ...sessionOptions,
  });
  sessions.push(session);
  // 120 ms of audio a character: the audio outlasts the synchronizer's estimate of the text.
  const agent = new SpeakingAgent({ instructions: 'x' }, 120);
  const attach = () => StreamingTextOutput.attach(session, { timing: 'both' });
  let output = order === 'before start' ? attach() : undefined;
  expect(session.output.audio).toBeNull();
  await session.start({ agent, room: fake.room, inputOptions: { audioEnabled: false } });
  output ??= attach();
  for (let i = 0; i < 5; i++) await immediate();
  return { session, output, fake };
}

function record(output: StreamingTextOutput) {
  const events: StreamEvent[] = [];
  const done = (async () => {
    for await (const event of output.subscribe()) events.push(event);
  })();
  return { events, done };
}

const deltas = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'text_delta' ? [e.delta] : []));
const completes = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'text_complete' ? [e] : []));

/** The assistant messages of the session's chat history: what the framework says was said. */
function assistantMessages(session: voice.AgentSession) {
  return session.history.items.flatMap((item) =>
    item.type === 'message' && item.role === 'assistant'
      ? [{ text: item.textContent ?? '', interrupted: item.interrupted }]
      : [],
  );
}

/** Waits until `count` spoken words are out, then into the middle of the next word. */
async function midWordAfter(spoken: { events: StreamEvent[] }, count: number): Promise<void> {
  await until(() => expect(deltas(spoken.events).length).toBeGreaterThanOrEqual(count));
  const next = REPLY.match(/\s*\S+/g)![count]!;
  await sleep(wordMs(next) / 2);
}

describe("spoken timing on RoomIO's own audio output (ParticipantAudioOutput, real time)", () => {
  for (const order of ['before start', 'after start'] as const) {
    it(`attached ${order}: spoken text follows the room's audio, and an interrupt ends it with exactly the chat history's text`, async () => {
      const warn = vi.spyOn(log(), 'warn');
      const { session, output } = await startInRoom(order);
      // RoomIO's chain: its synchronizer in front of the ParticipantAudioOutput it created.
      expect(session.output.audio?.constructor.name).toBe('SyncedAudioOutput');
      expect((session.output.audio as unknown as { nextInChain: object }).nextInChain.constructor.name).toBe(
        'ParticipantAudioOutput',
      );
      const spoken = record(output.spoken);
      const generated = record(output);
      const run = session.run({ userInput: 'tell me' });
      // The generated reader has the whole reply while the audio has said three words at most.
      await until(() => expect(completes(generated.events)).toHaveLength(1));
      expect(deltas(spoken.events).length).toBeLessThan(4);
      await midWordAfter(spoken, 3);
      await session.interrupt().await;
      await run.wait().catch(() => undefined);
      await until(() => expect(completes(spoken.events)).toHaveLength(1));
      await until(() => expect(assistantMessages(session)).toHaveLength(1));
      output.close();
      output.spoken.close();
      await Promise.all([spoken.done, generated.done]);

      const [history] = assistantMessages(session);
      expect(history!.interrupted).toBe(true);
      expect(history!.text.length).toBeGreaterThan(0);
      expect(history!.text.length).toBeLessThan(REPLY.length);
      expect(completes(spoken.events)).toEqual([
        { type: 'text_complete', text: history!.text, generation: 1, interrupted: true },
      ]);
      expect(deltas(spoken.events).join('')).toBe(history!.text);
      expect(completes(generated.events).map((c) => c.text)).toEqual([REPLY]);
      expect(warn.mock.calls.map((c) => c.find((a) => typeof a === 'string'))).toEqual([]);
      warn.mockRestore();
    }, 60_000);
  }

  it('an interrupt the moment a spoken word reaches our reader: the chat history has that word too (ours never run ahead of the room)', async () => {
    const { session, output } = await startInRoom('after start');
    const spoken: StreamEvent[] = [];
    let interrupted: Promise<void> | undefined;
    const run = session.run({ userInput: 'tell me' });
    const reader = (async () => {
      for await (const event of output.spoken.subscribe()) {
        spoken.push(event);
        // Right as the third word arrives: the synchronizer's timer for it is due at nearly the same time.
        if (deltas(spoken).length === 3) interrupted ??= session.interrupt().await;
      }
    })();
    await until(() => expect(interrupted).toBeDefined());
    await interrupted;
    await run.wait().catch(() => undefined);
    await until(() => expect(completes(spoken)).toHaveLength(1));
    await until(() => expect(assistantMessages(session)).toHaveLength(1));
    output.spoken.close();
    await reader;
    const [history] = assistantMessages(session);
    expect(history!.interrupted).toBe(true);
    expect(completes(spoken)[0]).toMatchObject({ text: history!.text, interrupted: true });
    expect(deltas(spoken).slice(0, 3).join('')).toBe(
      REPLY.match(/\s*\S+/g)!
        .slice(0, 3)
        .join(''),
    );
    expect(history!.text.startsWith(deltas(spoken).slice(0, 3).join(''))).toBe(true);
  }, 60_000);

  it('a false interruption pauses the speech and resumes it: our spoken text pauses and resumes with it', async () => {
    const { session, output } = await startInRoom('after start', {
      turnHandling: { interruption: { falseInterruptionTimeout: 3_000, resumeFalseInterruption: true } },
    });
    const spoken = record(output.spoken);
    const states: string[] = [];
    // Spoken words out when the framework resumed the speech (its state back to 'speaking').
    let atResume: number | undefined;
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, (e) => {
      states.push(e.newState);
      if (e.newState === 'speaking' && states.includes('listening'))
        atResume ??= deltas(spoken.events).length;
    });
    const falseInterruptions: boolean[] = [];
    session.on(voice.AgentSessionEventTypes.AgentFalseInterruption, (e) =>
      falseInterruptions.push(e.resumed),
    );
    const run = session.run({ userInput: 'briefly' });
    await midWordAfter(spoken, 2);
    // The user makes a sound and stops: what the session's VAD reports, called as it calls it
    // (no VAD runs offline). The framework pauses the audio and, after falseInterruptionTimeout
    // (3 s, three words' time) with no words from the user, resumes it.
    const activity = (
      session as unknown as {
        _activity: { interruptByAudioActivity(): void; onEndOfSpeech(ev?: undefined): void };
      }
    )._activity;
    activity.interruptByAudioActivity();
    expect(states.at(-1)).toBe('listening');
    const atPause = deltas(spoken.events).length;
    activity.onEndOfSpeech();
    await until(() => expect(falseInterruptions).toEqual([true]));
    expect(states.at(-1)).toBe('speaking');
    // While paused, the word in progress completed, and nothing after it.
    expect(atResume).toBeDefined();
    expect(atResume!).toBeLessThanOrEqual(atPause + 1);
    // Resumed: the words come again, and the reply is spoken whole, as the history records it.
    await run.wait();
    await until(() => expect(completes(spoken.events)).toHaveLength(1));
    output.close();
    output.spoken.close();
    await spoken.done;
    expect(deltas(spoken.events).length).toBeGreaterThan(atPause + 1);
    expect(completes(spoken.events)).toEqual([{ type: 'text_complete', text: SHORT, generation: 1 }]);
    expect(assistantMessages(session)).toEqual([{ text: SHORT, interrupted: false }]);
  }, 60_000);
});
