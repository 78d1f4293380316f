import { setImmediate as immediate } from 'node:timers/promises';
import { log, voice } from '@livekit/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamEvent, StreamingTextOutput } from '../src/index.js';
import { ClockAudioOutput, SpeakingAgent } from './helpers/clock-audio-output.js';
import { createFakeRoom } from './helpers/fake-room.js';
import { collect, type FakeResponse, WEATHER_SCRIPT, weatherTool } from './helpers/session.js';

const sessions: voice.AgentSession[] = [];
let warn: ReturnType<typeof vi.spyOn> | undefined;
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
  warn?.mockRestore();
  warn = undefined;
});

/** Every warning the framework logs from now on (its logger is one pino instance). */
function watchWarnings(): () => string[] {
  const spy = vi.spyOn(log(), 'warn');
  warn = spy;
  return () => spy.mock.calls.map((args) => String(args.find((a) => typeof a === 'string') ?? args[0]));
}

type Order = 'before start' | 'after start';

/** vi.waitFor with room for a loaded 2-core machine: the session's pipeline runs on real timers. */
const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 20 });

/**
 * A real AgentSession in a fake connected room, through the real RoomIO: its transcription
 * outputs and its TranscriptionSynchronizer, around an audio output that plays instantly.
 */
async function startSession({
  order,
  room = true,
  script = WEATHER_SCRIPT,
}: {
  order: Order | 'never';
  room?: boolean;
  script?: FakeResponse[];
}) {
  const fake = createFakeRoom();
  const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM(script) });
  sessions.push(session);
  const audio = new ClockAudioOutput();
  session.output.audio = audio;
  const agent = new SpeakingAgent({
    instructions: 'You are a helpful assistant.',
    tools: { getWeather: weatherTool() },
  });
  let out: StreamingTextOutput | undefined;
  if (order === 'before start') out = StreamingTextOutput.attach(session);
  await session.start({
    agent,
    ...(room
      ? {
          room: fake.room,
          inputOptions: { audioEnabled: false },
          // The audio output set above is kept; RoomIO puts its synchronizer in front of it.
          outputOptions: { audioEnabled: false },
        }
      : {}),
  });
  if (order === 'after start') out = StreamingTextOutput.attach(session);
  // RoomIO links the user and the agent's transcription output a few ticks after start.
  for (let i = 0; i < 5; i++) await immediate();
  return { session, out, fake, audio };
}

function generations(events: StreamEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'text_complete' ? [e.text] : []));
}

describe('StreamingTextOutput next to the real RoomIO', () => {
  for (const order of ['after start', 'before start'] as const) {
    it(`attached ${order}: the room still gets its synchronized transcription, and our readers the same text`, async () => {
      const warnings = watchWarnings();
      const { session, out, fake } = await startSession({ order });
      // RoomIO's own chain is in place behind us: the room's output is the synchronizer's.
      expect(session.output.transcription).toBe(out);
      expect(session.output.audio?.constructor.name).toBe('SyncedAudioOutput');
      const reader = out!.subscribe();
      await session.run({ userInput: 'hello' }).wait();
      await until(() => expect(fake.agentTranscripts()).toHaveLength(1));
      out!.close();
      const ours = generations(await collect(reader));
      expect(ours).toEqual(['Hello there! How can I help you today?']);
      expect(fake.agentTranscripts()).toEqual(ours);
      expect(warnings()).toEqual([]);
    });
  }

  it('without our output, the room gets the same transcription (the baseline the tests above match)', async () => {
    const { session, fake } = await startSession({ order: 'never' });
    expect(session.output.transcription?.constructor.name).toBe('SyncedTextOutput');
    await session.run({ userInput: 'hello' }).wait();
    await until(() => expect(fake.agentTranscripts()).toEqual(['Hello there! How can I help you today?']));
  });

  for (const order of ['after start', 'before start'] as const) {
    it(`attached ${order} without a room: our output is the session's transcription output`, async () => {
      const warnings = watchWarnings();
      const { session, out } = await startSession({ order, room: false });
      expect(session.output.transcription).toBe(out);
      const reader = out!.subscribe();
      await session.run({ userInput: 'hello' }).wait();
      out!.close();
      expect(generations(await collect(reader))).toEqual(['Hello there! How can I help you today?']);
      expect(warnings()).toEqual([]);
    });
  }

  it('the naive swap (replace the room output with one chained to it) resets the synchronizer twice: the warning attach() avoids', async () => {
    const { session } = await startSession({ order: 'never' });
    const warnings = watchWarnings();
    const existing = session.output.transcription!;
    session.output.transcription = new StreamingTextOutput({ nextInChain: existing });
    await until(() =>
      expect(warnings()).toContain('rotateSegment called while previous segment is still being rotated'),
    );
  });

  it('setting an output before start without attach() costs the room its transcription (the framework rule attach() works around)', async () => {
    const fake = createFakeRoom();
    const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM(WEATHER_SCRIPT) });
    sessions.push(session);
    session.output.audio = new ClockAudioOutput();
    const out = new StreamingTextOutput();
    session.output.transcription = out;
    await session.start({
      agent: new SpeakingAgent({ instructions: 'x' }),
      room: fake.room,
      inputOptions: { audioEnabled: false },
      outputOptions: { audioEnabled: false },
    });
    expect(session.output.transcription).toBe(out);
    await session.run({ userInput: 'hello' }).wait();
    for (let i = 0; i < 5; i++) await immediate();
    expect(fake.agentTranscripts()).toEqual([]);
  });

  for (const order of ['after start', 'before start'] as const) {
    it(`attached ${order}, several turns with a tool call and an interruption: both sides agree on every generation`, async () => {
      const warnings = watchWarnings();
      const long = 'one two three four five six seven eight nine ten. '.repeat(40).trim();
      const { session, out, fake, audio } = await startSession({
        order,
        script: [...WEATHER_SCRIPT, { input: 'long', content: long }],
      });
      const reader = out!.subscribe();
      await session.run({ userInput: 'hello' }).wait();
      await session.run({ userInput: 'weather in Paris?' }).wait();
      const run = session.run({ userInput: 'long' });
      // Interrupt once some of the long reply has reached our output.
      // The long reply's audio keeps playing until the interrupt; the room shows what was played.
      audio.hold = true;
      await until(() => expect(audio.log.started).toHaveLength(4));
      await until(() => expect(fake.streams.filter((s) => !s.closed && s.chunks.length > 2)).toHaveLength(1));
      await session.interrupt().await;
      audio.hold = false;
      await run.wait().catch(() => undefined);
      await session.run({ userInput: 'hello' }).wait();
      await until(() => expect(fake.agentTranscripts().length).toBeGreaterThanOrEqual(5));
      out!.close();
      const ours = generations(await collect(reader));
      expect(ours[0]).toBe('Hello there! How can I help you today?');
      expect(ours.slice(1, 3)).toEqual(['Let me check the weather.', 'It is sunny in Paris today.']);
      expect(long.startsWith(ours[3]!)).toBe(true);
      expect(ours[4]).toBe('Hello there! How can I help you today?');
      // The room's transcripts: the same generations. For the interrupted one the room, paced to
      // the audio, shows a prefix of what was generated (what had been played), never other text.
      const room = fake.agentTranscripts();
      expect(room).toHaveLength(5);
      expect([room[0], room[1], room[2], room[4]]).toEqual([ours[0], ours[1], ours[2], ours[4]]);
      expect(ours[3]!.startsWith(room[3]!)).toBe(true);
      expect(room[3]!.length).toBeGreaterThan(0);
      expect(room[3]!.length).toBeLessThan(long.length);
      expect(warnings()).toEqual([]);
    });
  }
});
