import { existsSync, readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { initializeLogger, llm, voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { StreamingAgentClient, type TurnFrame } from '../src/client/index.js';
import type { StreamEvent, ToolStepEvent } from '../src/core/events.js';
import { canWatchToolSteps, watchToolSteps } from '../src/core/run-steps.js';
import { StreamingTextOutput } from '../src/core/streaming-text-output.js';
import { parseServerFrame, type ServerFrame } from '../src/protocol/frames.js';
import { waitFor } from './helpers/await.js';
import { startServer } from './helpers/server.js';
import { collect, createSession, type FakeResponse } from './helpers/session.js';
import { TestClient } from './helpers/ws-client.js';

initializeLogger({ pretty: false, level: 'error' });

/** A turn's frame kinds in order, a run of deltas of one generation collapsed into `delta N`. */
function kinds(frames: readonly ServerFrame[]): string[] {
  const firstGeneration = frames.find((f) => f.type === 'delta')?.generation ?? 1;
  return frames
    .map((f) => (f.type === 'delta' ? `delta ${f.generation - firstGeneration + 1}` : f.type))
    .filter((kind, i, all) => kind !== all[i - 1]);
}

/** Tools whose timing a test controls: `lookup` answers at once, `slowLookup` when released. */
interface Gate {
  release: () => void;
  started: number;
}

function toolAgent(gate: Gate) {
  return new voice.Agent({
    instructions: 'You are a helpful assistant.',
    tools: {
      lookup: llm.tool({
        description: 'Look up the weather in a city',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => `sunny in ${city}`,
      }),
      slowLookup: llm.tool({
        description: 'Look up the weather slowly',
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }, { abortSignal }) => {
          gate.started++;
          await new Promise<void>((resolve) => {
            gate.release = resolve;
            abortSignal.addEventListener('abort', () => resolve(), { once: true });
          });
          return `cloudy in ${city}`;
        },
      }),
      failingLookup: llm.tool({
        description: 'A lookup that fails',
        parameters: z.object({ city: z.string() }),
        execute: async () => {
          throw new llm.ToolError('the weather service is down');
        },
      }),
    },
  });
}

const SCRIPT: FakeResponse[] = [
  { input: 'hello', content: 'Hello there!' },
  // Two calls in one step. The next model turn sees the last output, whichever it is.
  {
    input: 'two cities',
    content: 'Checking both.',
    toolCalls: [
      { name: 'lookup', args: { city: 'Paris' } },
      { name: 'lookup', args: { city: 'Rome' } },
    ],
  },
  { input: '"sunny in Rome"', content: 'Sunny in both.' },
  { input: '"sunny in Paris"', content: 'Sunny in both.' },
  // Two steps: the answer to the first tool calls a second one.
  {
    input: 'two steps',
    content: 'First Oslo.',
    toolCalls: [{ name: 'lookup', args: { city: 'Oslo' } }],
  },
  {
    input: '"sunny in Oslo"',
    content: 'Now Bergen.',
    toolCalls: [{ name: 'lookup', args: { city: 'Bergen' } }],
  },
  { input: '"sunny in Bergen"', content: 'Both sunny.' },
  // A tool that runs until released or interrupted.
  { input: 'slow', content: 'One moment.', toolCalls: [{ name: 'slowLookup', args: { city: 'Lima' } }] },
  { input: '"cloudy in Lima"', content: 'Cloudy in Lima.' },
  // A tool that fails.
  { input: 'broken', content: 'Trying.', toolCalls: [{ name: 'failingLookup', args: { city: 'Nice' } }] },
  { input: 'the weather service is down', content: 'The service is down.' },
];

async function toolServer() {
  const gate: Gate = { release: () => {}, started: 0 };
  const server = await startServer({
    rateLimit: false,
    createAgent: () => toolAgent(gate),
    createLLM: () => new voice.testing.FakeLLM(SCRIPT),
  });
  return { server, gate };
}

describe('the framework hook for live tool steps (src/core/run-steps.ts)', () => {
  it('exists in the installed @livekit/agents: if this fails, a framework upgrade removed it', () => {
    expect(canWatchToolSteps()).toBe(true);
  });

  it('reports a tool call when the tool starts and its output when it returns, from a real session', async () => {
    const { session, agent } = createSession();
    const steps: Array<ToolStepEvent & { toolDone: boolean }> = [];
    let toolDone = false;
    const stop = watchToolSteps(session, (step) => steps.push({ ...step, toolDone }));
    session.on(voice.AgentSessionEventTypes.FunctionToolsExecuted, () => {
      toolDone = true;
    });
    await session.start({ agent });
    await session.run({ userInput: 'weather in Paris?' }).wait();
    expect(steps).toEqual([
      {
        type: 'tool_call',
        callId: 'fake_call_0',
        name: 'getWeather',
        arguments: '{"city":"Paris"}',
        toolDone: false,
      },
      {
        type: 'tool_output',
        callId: 'fake_call_0',
        name: 'getWeather',
        output: '"sunny"',
        isError: false,
        // Before function_tools_executed, the only public signal, which comes after every tool.
        toolDone: false,
      },
    ]);
    stop();
    await session.run({ userInput: 'weather in Paris?' }).wait();
    expect(steps).toHaveLength(2);
    await session.close();
  });
});

/** A tool turn's events in order, deltas of one generation collapsed into `delta N`. */
const TOOL_TURN_ORDER = ['delta 1', 'text_complete', 'tool_call', 'tool_output', 'delta 2', 'text_complete'];

/** Runs 'weather in Paris?' through a real session with tool steps on; its events and their order. */
async function weatherTurn(script?: FakeResponse[]) {
  const { session, agent } = createSession(script);
  const out = StreamingTextOutput.attach(session, { toolSteps: true });
  const reader = out.subscribe();
  await session.start({ agent });
  await session.run({ userInput: 'weather in Paris?' }).wait();
  await out.whenIdle();
  out.close();
  const events = await collect(reader);
  await session.close();
  const order = events
    .map((e) => (e.type === 'text_delta' ? `delta ${e.generation}` : e.type))
    .filter((kind, i, all) => kind !== all[i - 1]);
  return { events, order };
}

describe('StreamingTextOutput with toolSteps', () => {
  it('gives readers the text before the call, the call, its output, then the text after it', async () => {
    const { order } = await weatherTurn();
    expect(order).toEqual(TOOL_TURN_ORDER);
  });

  it('leaves readers text-only by default', async () => {
    const { session, agent } = createSession();
    const out = StreamingTextOutput.attach(session);
    const reader = out.subscribe();
    await session.start({ agent });
    await session.run({ userInput: 'weather in Paris?' }).wait();
    out.close();
    const events = await collect(reader);
    expect(events.every((e) => e.type === 'text_delta' || e.type === 'text_complete')).toBe(true);
    await session.close();
  });

  it('rejects a toolSteps option that is not a boolean', () => {
    const { session } = createSession();
    expect(() => StreamingTextOutput.attach(session, { toolSteps: 'yes' as never })).toThrow(
      new TypeError('StreamingTextOutput: toolSteps must be a boolean, got yes'),
    );
  });

  it('refuses toolSteps with spoken-only timing, where no generated output exists to carry the steps', () => {
    const { session } = createSession();
    expect(() => StreamingTextOutput.attach(session, { toolSteps: true, timing: 'spoken' })).toThrow(
      TypeError,
    );
  });

  it('holds a step that arrives mid-generation until that generation completes', async () => {
    const out = new StreamingTextOutput<StreamEvent>();
    const reader = out.subscribe();
    await out.captureText('Let me ');
    out.addToolStep({ type: 'tool_call', callId: 'c1', name: 'f', arguments: '{}' });
    await out.captureText('check.');
    out.flush();
    out.addToolStep({ type: 'tool_output', callId: 'c1', name: 'f', output: '1', isError: false });
    out.close();
    expect((await collect(reader)).map((e) => e.type)).toEqual([
      'text_delta',
      'text_delta',
      'text_complete',
      'tool_call',
      'tool_output',
    ]);
  });

  it('a one-chunk text before the call keeps its place, in a real session (the framework starts the tool before that chunk arrives)', async () => {
    const script: FakeResponse[] = [
      {
        input: 'weather in Paris?',
        content: 'Ok.',
        toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }],
      },
      { input: '"sunny"', content: 'It is sunny in Paris today.' },
    ];
    for (let round = 0; round < 3; round++) {
      const { order, events } = await weatherTurn(script);
      expect(order).toEqual(TOOL_TURN_ORDER);
      expect(events.find((e) => e.type === 'text_complete')).toMatchObject({ text: 'Ok.' });
    }
  });

  it('a step between generations: the text that comes next is its own (it follows), unless an output came (it precedes)', async () => {
    const call = { type: 'tool_call', callId: 'c1', name: 'f', arguments: '{}' } as const;
    const output = { type: 'tool_output', callId: 'c1', name: 'f', output: '1', isError: false } as const;
    // The asking text arrives after the call: the call follows its text_complete.
    const asking = new StreamingTextOutput<StreamEvent>();
    const a = asking.subscribe();
    asking.addToolStep(call);
    await asking.captureText('Ok.');
    asking.flush();
    asking.close();
    expect((await collect(a)).map((e) => e.type)).toEqual(['text_delta', 'text_complete', 'tool_call']);
    // Call and output, then the answer: both steps come before the answer's text.
    const answering = new StreamingTextOutput<StreamEvent>();
    const b = answering.subscribe();
    answering.addToolStep(call);
    answering.addToolStep(output);
    await answering.captureText('Sunny.');
    answering.flush();
    answering.close();
    expect((await collect(b)).map((e) => e.type)).toEqual([
      'tool_call',
      'tool_output',
      'text_delta',
      'text_complete',
    ]);
    // No text at all: the call goes out within a macrotask, and whenIdle() waits for it.
    const alone = new StreamingTextOutput<StreamEvent>();
    const c = alone.subscribe();
    alone.addToolStep(call);
    await alone.whenIdle();
    alone.close();
    expect((await collect(c)).map((e) => e.type)).toEqual(['tool_call']);
  });

  it('never merges, drops or reorders a step, under every overflow policy', async () => {
    for (const overflow of ['coalesce', 'block', 'error'] as const) {
      const out = new StreamingTextOutput<StreamEvent>({ bufferSize: 2, overflow });
      const reader = out.subscribe();
      const produced: StreamEvent['type'][] = [];
      for (let step = 1; step <= 5; step++) {
        // Fill the reader past bufferSize with text only where the policy lets text in.
        if (overflow === 'coalesce') {
          for (let i = 0; i < 3; i++) await out.captureText(`s${step}-${i} `);
          out.flush();
          produced.push('text_delta', 'text_complete');
        }
        out.addToolStep({ type: 'tool_call', callId: `c${step}`, name: 'f', arguments: '{}' });
        out.addToolStep({
          type: 'tool_output',
          callId: `c${step}`,
          name: 'f',
          output: `${step}`,
          isError: false,
        });
        produced.push('tool_call', 'tool_output');
      }
      out.close();
      const events = await collect(reader);
      expect(events.map((e) => e.type)).toEqual(produced);
      const calls = events.filter((e) => e.type === 'tool_call').map((e) => e.callId);
      expect(calls).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    }
  });
});

describe('tool frames on the wire', () => {
  it('several calls in one step: each call and output between the two generations, calls in the model’s order', async () => {
    const { server } = await toolServer();
    const client = await TestClient.connect(server.url);
    for (let round = 0; round < 5; round++) {
      const frames = await client.turn('two cities');
      const steps = frames.filter((f) => f.type === 'tool_call' || f.type === 'tool_output');
      const calls = steps.filter((f) => f.type === 'tool_call');
      expect(calls.map((f) => f.arguments)).toEqual(['{"city":"Paris"}', '{"city":"Rome"}']);
      for (const call of calls) {
        const output = steps.findIndex((f) => f.type === 'tool_output' && f.callId === call.callId);
        expect(output).toBeGreaterThan(steps.indexOf(call));
      }
      expect(new Set(calls.map((f) => f.callId)).size).toBe(2);
      expect(kinds(frames.filter((f) => f.type !== 'tool_call' && f.type !== 'tool_output'))).toEqual([
        'delta 1',
        'complete',
        'delta 2',
        'complete',
        'result',
      ]);
      // Every step sits between generation 1's complete and generation 2's first delta.
      const firstComplete = frames.findIndex((f) => f.type === 'complete');
      const secondGeneration = frames.findIndex((f, i) => i > firstComplete && f.type === 'delta');
      for (const step of steps) {
        const at = frames.indexOf(step);
        expect(at).toBeGreaterThan(firstComplete);
        expect(at).toBeLessThan(secondGeneration);
      }
      const next = await client.turn('hello');
      expect(kinds(next)).toEqual(['delta 1', 'complete', 'result']);
    }
  });

  it('two steps in one turn keep their order', async () => {
    const { server } = await toolServer();
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('two steps');
    expect(kinds(frames)).toEqual([
      'delta 1',
      'complete',
      'tool_call',
      'tool_output',
      'delta 2',
      'complete',
      'tool_call',
      'tool_output',
      'delta 3',
      'complete',
      'result',
    ]);
    const steps = frames.filter((f) => f.type === 'tool_call');
    expect(steps.map((f) => f.arguments)).toEqual(['{"city":"Oslo"}', '{"city":"Bergen"}']);
  });

  it('a tool that throws gives tool_output with isError', async () => {
    const { server } = await toolServer();
    const client = await TestClient.connect(server.url);
    const frames = await client.turn('broken');
    expect(frames.find((f) => f.type === 'tool_output')).toMatchObject({
      type: 'tool_output',
      name: 'failingLookup',
      isError: true,
      output: 'the weather service is down',
    });
    expect(frames.at(-1)?.type).toBe('result');
  });

  it('the call is on the wire while the tool runs, and its output only once it returns', async () => {
    const { server, gate } = await toolServer();
    const client = await TestClient.connect(server.url);
    client.ask('slow', 's');
    const call = await client.waitFor((f) => f.type === 'tool_call');
    await waitFor(() => gate.started === 1, 'the tool to start');
    expect(client.frames.some((f) => f.type === 'tool_output')).toBe(false);
    expect(client.frames[call]).toEqual({
      type: 'tool_call',
      callId: 'fake_call_0',
      name: 'slowLookup',
      arguments: '{"city":"Lima"}',
      id: 's',
    });
    gate.release();
    const end = await client.waitFor((f) => f.type === 'result');
    expect(kinds(client.frames.slice(1, end + 1))).toEqual([
      'delta 1',
      'complete',
      'tool_call',
      'tool_output',
      'delta 2',
      'complete',
      'result',
    ]);
  });

  it('an interrupt while a tool runs ends the turn with the call shown and no output; the next turn is clean', async () => {
    const { server, gate } = await toolServer();
    const client = await TestClient.connect(server.url);
    client.ask('slow', 'cut');
    await client.waitFor((f) => f.type === 'tool_call');
    await waitFor(() => gate.started === 1, 'the tool to start');
    client.send({ type: 'interrupt' });
    const end = await client.waitFor((f) => f.type === 'result' || f.type === 'error');
    const frames = client.frames.slice(1, end + 1);
    expect(kinds(frames)).toEqual(['delta 1', 'complete', 'tool_call', 'result']);
    expect(frames.at(-1)).toMatchObject({ type: 'result', interrupted: true, id: 'cut' });
    const next = await client.turn('hello');
    expect(kinds(next)).toEqual(['delta 1', 'complete', 'result']);
    expect(client.frames.filter((f) => f.type === 'tool_output')).toEqual([]);
  });
});

describe('a client that leaves while a tool runs', () => {
  it('has its run stopped and its session released', async () => {
    const { server, gate } = await toolServer();
    const client = await TestClient.connect(server.url);
    client.ask('slow');
    await client.waitFor((f) => f.type === 'tool_call');
    await waitFor(() => gate.started === 1, 'the tool to start');
    client.socket.terminate();
    await waitFor(() => server.activeSessions === 0, 'the session to close');
  });
});

describe('clients', () => {
  it('StreamingAgentClient: onToolCall/onToolOutput fire, and ask() yields the frames in order', async () => {
    const { server } = await toolServer();
    const client = new StreamingAgentClient(server.url, { WebSocket: WebSocket as never });
    const seen: string[] = [];
    client.onDelta = () => seen.push('delta');
    client.onComplete = () => seen.push('complete');
    client.onToolCall = (frame) => seen.push(`call ${frame.name} ${frame.arguments}`);
    client.onToolOutput = (frame) => seen.push(`output ${frame.output} ${frame.isError}`);
    await client.connect();
    const frames: TurnFrame[] = [];
    for await (const frame of client.ask('two steps')) frames.push(frame);
    expect(kinds(frames as ServerFrame[])).toEqual([
      'delta 1',
      'complete',
      'tool_call',
      'tool_output',
      'delta 2',
      'complete',
      'tool_call',
      'tool_output',
      'delta 3',
      'complete',
      'result',
    ]);
    expect(seen.filter((s, i) => s !== seen[i - 1])).toEqual([
      'delta',
      'complete',
      'call lookup {"city":"Oslo"}',
      'output "sunny in Oslo" false',
      'delta',
      'complete',
      'call lookup {"city":"Bergen"}',
      'output "sunny in Bergen" false',
      'delta',
      'complete',
    ]);
    client.close();
  });

  it('parseServerFrame accepts well-formed tool frames and refuses malformed ones', () => {
    const call = { type: 'tool_call', callId: 'c', name: 'f', arguments: '{}', id: 'x' };
    const output = { type: 'tool_output', callId: 'c', name: 'f', output: '1', isError: false };
    expect(parseServerFrame(JSON.stringify(call))).toEqual({ ok: true, frame: call });
    expect(parseServerFrame(JSON.stringify(output))).toEqual({ ok: true, frame: output });
    for (const bad of [
      { ...call, callId: 1 },
      { ...call, arguments: {} },
      { type: 'tool_call', callId: 'c', arguments: '{}' },
      { ...output, isError: 'no' },
      { ...output, output: undefined },
      { ...output, id: 3 },
    ]) {
      expect(parseServerFrame(JSON.stringify(bad))).toMatchObject({
        ok: false,
        code: 'invalid_server_frame',
      });
    }
  });

  it('the seed’s JavaScript client, verbatim, still gets every delta, complete and result with tool frames in the stream', async () => {
    const { server } = await toolServer();
    // The design document's client block, byte for byte; only its class is run (the usage lines
    // after it connect to a fixed port and write to a page).
    const source = readFileSync(new URL('./fixtures/seed-client.js', import.meta.url), 'utf8');
    // Where the design document lives next to a checkout; a clone without it uses the fixture alone.
    const documentText = ['../../../shared/seed/', '../../shared/seed/']
      .map((dir) => new URL(`${dir}streaming-text-output-design.md`, import.meta.url))
      .filter((url) => existsSync(url))
      .map((url) => readFileSync(url, 'utf8'))[0];
    if (documentText !== undefined) expect(documentText).toContain(source);
    const classSource = source.slice(0, source.indexOf('// Usage'));
    const logged: unknown[] = [];
    const context = createContext({ WebSocket, JSON, console: { log: (...a: unknown[]) => logged.push(a) } });
    const SeedClient = runInContext(`${classSource}\nStreamingAgentClient`, context) as new (
      url: string,
    ) => {
      onDelta: ((delta: string, accumulated: string) => void) | null;
      onComplete: ((text: string) => void) | null;
      onResult: ((events: unknown[]) => void) | null;
      onError: ((message: string) => void) | null;
      connect(): Promise<void>;
      send(message: string): void;
      close(): void;
    };
    const seed = new SeedClient(server.url);
    const deltas: string[] = [];
    const completes: string[] = [];
    const results: unknown[][] = [];
    const errors: string[] = [];
    let lastAccumulated = '';
    seed.onDelta = (delta, accumulated) => {
      deltas.push(delta);
      lastAccumulated = accumulated;
    };
    seed.onComplete = (text) => completes.push(text);
    seed.onResult = (events) => results.push(events);
    seed.onError = (message) => errors.push(message);
    await seed.connect();

    // What the server sent, seen by a recording client on its own connection, for comparison.
    const recorder = await TestClient.connect(server.url);
    const reference = await recorder.turn('two steps');
    expect(reference.some((f) => f.type === 'tool_call')).toBe(true);

    seed.send('two steps');
    await waitFor(() => results.length === 1, 'the seed client’s result');
    expect(deltas.join('')).toBe(
      reference
        .filter((f) => f.type === 'delta')
        .map((f) => (f.type === 'delta' ? f.delta : ''))
        .join(''),
    );
    expect(completes).toEqual(['First Oslo.', 'Now Bergen.', 'Both sunny.']);
    expect(lastAccumulated).toBe('Both sunny.');
    // `result.events` is the framework's RunResult, in the order its item callbacks fired: a step's
    // message and the next call can swap places under load, so the kinds are compared, not the order
    // (the order we promise is the frames', checked above and in the server tests).
    expect(results[0]?.map((e) => (e as { type: string }).type).sort()).toEqual(
      [
        'message',
        'function_call',
        'function_call_output',
        'message',
        'function_call',
        'function_call_output',
        'message',
      ].sort(),
    );
    expect(errors).toEqual([]);
    seed.close();
  });
});

describe('stream() with tool steps', () => {
  it('ends at the generation’s text_complete; the steps after it open the next loop', async () => {
    const out = new StreamingTextOutput<StreamEvent>();
    await out.captureText('Let me check.');
    out.addToolStep({ type: 'tool_call', callId: 'c1', name: 'f', arguments: '{}' });
    out.flush();
    out.addToolStep({ type: 'tool_output', callId: 'c1', name: 'f', output: '1', isError: false });
    await out.captureText('Done.');
    out.flush();
    expect((await collect(out.stream())).map((e) => e.type)).toEqual(['text_delta', 'text_complete']);
    expect((await collect(out.stream())).map((e) => e.type)).toEqual([
      'tool_call',
      'tool_output',
      'text_delta',
      'text_complete',
    ]);
  });
});
