import { setImmediate as immediate } from 'node:timers/promises';
import { voice } from '@livekit/agents';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type StreamEvent, StreamingTextOutput } from '../src/index.js';
import { ClockAudioOutput, SpeakingAgent } from './helpers/clock-audio-output.js';
import { createFakeRoom } from './helpers/fake-room.js';
import { WEATHER_SCRIPT, weatherTool } from './helpers/session.js';

const sessions: voice.AgentSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

const until = (check: () => void) => vi.waitFor(check, { timeout: 10_000, interval: 10 });

/** RoomIO, reached as the session keeps it: the only way agents-js 1.9 offers to relink a session. */
type WithRoomIO = {
  _roomIO: { linkedParticipant?: { identity: string }; setParticipant(identity: string | null): void };
};

const texts = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'text_complete' ? [e.text] : []));

describe('several participants in the room', () => {
  it('our output carries the replies to the participant the session is linked to, and follows a relink on the same readers', async () => {
    const fake = createFakeRoom({ users: ['alice', 'bob'] });
    const session = new voice.AgentSession({ llm: new voice.testing.FakeLLM(WEATHER_SCRIPT) });
    sessions.push(session);
    session.output.audio = new ClockAudioOutput();
    const output = StreamingTextOutput.attach(session, { timing: 'both' });
    await session.start({
      agent: new SpeakingAgent({ instructions: 'x', tools: { getWeather: weatherTool() } }),
      room: fake.room,
      inputOptions: { audioEnabled: false, participantIdentity: 'bob' },
      outputOptions: { audioEnabled: false },
    });
    for (let i = 0; i < 5; i++) await immediate();
    const roomIO = (session as unknown as WithRoomIO)._roomIO;
    expect(roomIO.linkedParticipant?.identity).toBe('bob');

    const generated: StreamEvent[] = [];
    const spoken: StreamEvent[] = [];
    const readers = Promise.all([
      (async () => {
        for await (const e of output.subscribe()) generated.push(e);
      })(),
      (async () => {
        for await (const e of output.spoken.subscribe()) spoken.push(e);
      })(),
    ]);

    // Alice is in the room but not linked: her message reaches no model, and no reader.
    fake.sendText('alice', 'hello');
    fake.sendText('bob', 'weather in Paris?');
    const bobsReply = ['Let me check the weather.', 'It is sunny in Paris today.'];
    await until(() => expect(texts(spoken)).toEqual(bobsReply));
    expect(texts(generated)).toEqual(bobsReply);

    // The app relinks the session to Alice: the same readers carry her replies, numbered on.
    roomIO.setParticipant('alice');
    expect(roomIO.linkedParticipant?.identity).toBe('alice');
    fake.sendText('bob', 'weather in Paris?');
    fake.sendText('alice', 'hello');
    await until(() => expect(texts(spoken)).toHaveLength(3));
    output.close();
    output.spoken.close();
    await readers;
    const all = [...bobsReply, 'Hello there! How can I help you today?'];
    expect(texts(generated)).toEqual(all);
    expect(texts(spoken)).toEqual(all);
    expect(generated.at(-1)).toMatchObject({ type: 'text_complete', generation: 3 });
    // The room's own captions agree: they follow the same session.
    await until(() => expect(fake.agentTranscripts()).toEqual(all));
  });
});
