import { voice } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import { type StreamEvent, StreamingTextOutput, type TextDeltaEvent } from '../src/index.js';
import { collect, createSession } from './helpers/session.js';

const sessions: voice.AgentSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

async function started(script?: Parameters<typeof createSession>[0]) {
  const { session, agent } = createSession(script);
  sessions.push(session);
  const out = new StreamingTextOutput();
  session.output.transcription = out;
  await session.start({ agent });
  return { session, out };
}

function checkGeneration(events: StreamEvent[], expected: string) {
  const deltas = events.filter((e): e is TextDeltaEvent => e.type === 'text_delta');
  let prefix = '';
  for (const d of deltas) {
    prefix += d.delta;
    expect(d.accumulated).toBe(prefix);
  }
  const completes = events.filter((e) => e.type === 'text_complete');
  expect(completes).toHaveLength(1);
  expect(completes[0]).toMatchObject({ type: 'text_complete', text: expected });
  expect(prefix).toBe(expected);
}

describe('StreamingTextOutput in a real AgentSession', () => {
  it('is an instance of the framework TextOutput and is accepted as the transcription output', async () => {
    const { session, out } = await started();
    const TextOutput = Object.getPrototypeOf(voice.ParalellTextOutput);
    expect(out).toBeInstanceOf(TextOutput);
    expect(session.output.transcription).toBe(out);
    expect(out.label).toBe('streaming_text');
  });

  it('streams one reply: deltas concatenate to the reply, one text_complete, the loop ends', async () => {
    const { session, out } = await started();
    const reading = collect(out);
    const run = session.run({ userInput: 'hello' });
    const events = await reading;
    await run.wait();
    checkGeneration(events, 'Hello there! How can I help you today?');
    expect(events.filter((e) => e.type === 'text_delta').length).toBeGreaterThan(5);
    expect(events.every((e) => ('generation' in e && e.generation) === 1)).toBe(true);
    expect(out.accumulatedText).toBe('');
  });

  it('keeps events produced before anyone reads for the first stream() reader', async () => {
    const { session, out } = await started();
    await session.run({ userInput: 'hello' }).wait();
    const events = await collect(out.stream());
    checkGeneration(events, 'Hello there! How can I help you today?');
  });

  it('serves two sequential runs, each with its own generation', async () => {
    const { session, out } = await started();
    for (const generation of [1, 2]) {
      const reading = collect(out);
      await session.run({ userInput: 'hello' }).wait();
      const events = await reading;
      checkGeneration(events, 'Hello there! How can I help you today?');
      expect(events.every((e) => ('generation' in e && e.generation) === generation)).toBe(true);
    }
    expect(out.generation).toBe(2);
  });

  it('shows both generations of a tool-call run to subscribe(), in order', async () => {
    const { session, out } = await started();
    const reader = out.subscribe();
    const result = await session.run({ userInput: 'weather in Paris?' }).wait();
    out.close();
    const events = await collect(reader);
    checkGeneration(
      events.filter((e) => ('generation' in e && e.generation) === 1),
      'Let me check the weather.',
    );
    checkGeneration(
      events.filter((e) => ('generation' in e && e.generation) === 2),
      'It is sunny in Paris today.',
    );
    expect(events.findIndex((e) => ('generation' in e && e.generation) === 2)).toBeGreaterThan(
      events.findIndex((e) => e.type === 'text_complete'),
    );
    // The framework's own RunResult: its first message and the call can swap places under load.
    expect(result.events.map((e) => e.type).sort()).toEqual(
      ['message', 'function_call', 'function_call_output', 'message'].sort(),
    );
  });

  it('stream() after a tool-call run yields one generation at a time', async () => {
    const { session, out } = await started();
    await session.run({ userInput: 'weather in Paris?' }).wait();
    checkGeneration(await collect(out.stream()), 'Let me check the weather.');
    checkGeneration(await collect(out.stream()), 'It is sunny in Paris today.');
  });

  it('session.interrupt() mid-generation still ends with a text_complete holding the partial text', async () => {
    const long = 'word '.repeat(2000);
    const { session, out } = await started([{ input: 'long', content: long }]);
    const reader = out.subscribe();
    const run = session.run({ userInput: 'long' });
    const seen: StreamEvent[] = [];
    for await (const event of reader) {
      seen.push(event);
      if (seen.length === 5) await session.interrupt().await;
      if (event.type === 'text_complete') break;
    }
    await run.wait().catch(() => undefined);
    const complete = seen.at(-1)!;
    expect(complete.type).toBe('text_complete');
    const text = complete.type === 'text_complete' ? complete.text : '';
    expect(text.length).toBeLessThan(long.length);
    expect(long.startsWith(text)).toBe(true);
    checkGeneration(seen, text);
  });

  it('several subscribers at once each see every event', async () => {
    const { session, out } = await started();
    const readers = [out.subscribe(), out.subscribe(), out.subscribe()];
    await session.run({ userInput: 'weather in Paris?' }).wait();
    out.close();
    const all = await Promise.all(readers.map((r) => collect(r)));
    expect(all[0]!.length).toBeGreaterThan(10);
    expect(all[1]).toEqual(all[0]);
    expect(all[2]).toEqual(all[0]);
  });

  it('attach() chains in front of an output that is already there', async () => {
    const { session, agent } = createSession();
    sessions.push(session);
    const first = new StreamingTextOutput();
    session.output.transcription = first;
    const second = StreamingTextOutput.attach(session);
    expect(session.output.transcription).toBe(second);
    await session.start({ agent });
    const [a, b] = [first.subscribe(), second.subscribe()];
    await session.run({ userInput: 'hello' }).wait();
    first.close();
    second.close();
    const [ea, eb] = [await collect(a), await collect(b)];
    checkGeneration(ea, 'Hello there! How can I help you today?');
    expect(eb).toEqual(ea);
  });

  it('a TimedString chunk keeps its text and timings', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    await out.captureText(voice.createTimedString({ text: 'Hi ', startTime: 0.5, endTime: 0.7 }));
    await out.captureText('there');
    out.flush();
    out.close();
    const events = await collect(reader);
    expect(events[0]).toEqual({
      type: 'text_delta',
      delta: 'Hi ',
      accumulated: 'Hi ',
      generation: 1,
      startTime: 0.5,
      endTime: 0.7,
    });
    expect(events[2]).toEqual({ type: 'text_complete', text: 'Hi there', generation: 1 });
  });
});
