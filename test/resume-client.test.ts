import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type ResumeOutcome,
  StreamingAgentClient,
  type StreamingAgentClientOptions,
  type TurnFrame,
} from '../src/client/index.js';
import type { ServerFrame } from '../src/protocol/frames.js';
import { MemoryFrameLog } from '../src/session/frame-log.js';
import { waitFor } from './helpers/await.js';
import { replyFor } from './helpers/conversation-llm.js';
import { startResumingServer, startServer } from './helpers/server.js';
import { prng } from './soak/frames.js';

/** A `ws` WebSocket the test can reach: the client's sockets, newest last. */
function trackedSockets() {
  const sockets: WebSocket[] = [];
  class Tracked extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return { sockets, WebSocket: Tracked as unknown as StreamingAgentClientOptions['WebSocket'] };
}

/** Text per generation as a UI would show it: deltas append, a restated delta replaces. */
function generationsOf(frames: TurnFrame[]): string[] {
  const texts = new Map<number, string>();
  for (const f of frames) {
    if (f.type === 'delta')
      texts.set(f.generation, f.restate ? f.delta : (texts.get(f.generation) ?? '') + f.delta);
  }
  return [...texts.values()];
}

describe('StreamingAgentClient resumes by itself', () => {
  it('200 turns, socket cut at seeded random points: text once and in order, one outcome each, one session', async () => {
    const windowMs = 3_000;
    const server = await startResumingServer({ resumeWindowMs: windowMs });
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, {
      WebSocket: Tracked,
      reconnect: { initialDelayMs: 5, maxDelayMs: 40 },
    });
    const outcomes: ResumeOutcome[] = [];
    client.onResume = (outcome) => outcomes.push(outcome);
    const endings = new Map<string, number>();
    const count = (id: string | undefined) => id && endings.set(id, (endings.get(id) ?? 0) + 1);
    client.onResult = (_events, frame) => count(frame.id);
    client.onError = (_message, error) => count(error.id);
    await client.connect();

    const random = prng(13);
    const said: string[] = [];
    const cuts: Record<string, number> = {};
    const cut = (kind: string) => {
      cuts[kind] = (cuts[kind] ?? 0) + 1;
      sockets.at(-1)!.terminate();
    };
    let recalls = 0;
    for (let turn = 0; turn < 200; turn++) {
      const message =
        turn % 25 === 24
          ? 'recall'
          : random.pick([`remember r${turn}`, `count ${20 + random.int(150)}`, `tool ${turn}`]);
      if (message === 'recall') recalls++;
      const expected = replyFor(message, said).filter((text) => text !== '');
      const plan = random.pick([
        'none',
        'none',
        'before-ready',
        'mid-delta',
        'mid-tool',
        'after-result',
      ] as const);
      const cutAt = 1 + random.int(15);
      let deltas = 0;
      if (plan === 'before-ready') {
        cut('before-ready');
        // And the first socket of the reconnect too, before its ready arrives.
        const before = sockets.length;
        void waitFor(() => sockets.length > before, 'a reconnect').then(() => sockets.at(-1)!.terminate());
      }
      const frames: TurnFrame[] = [];
      for await (const frame of client.ask(message)) {
        frames.push(frame);
        if (frame.type === 'delta' && plan === 'mid-delta' && ++deltas === cutAt) cut('mid-delta');
        if (
          frame.type === 'complete' &&
          plan === 'mid-tool' &&
          frame.generation &&
          message.startsWith('tool')
        ) {
          if (deltas++ === 0) cut('mid-tool');
        }
      }
      if (plan === 'after-result') cut('after-result');
      const last = frames.at(-1)!;
      expect(last.type, `turn ${turn} (${message}) ended with ${JSON.stringify(last)}`).toBe('result');
      expect(frames.some((f) => f.type === 'delta' && f.restate)).toBe(false);
      expect(generationsOf(frames)).toEqual(expected);
      // Exactly once: the deltas, joined in order, are the reply, with nothing repeated.
      expect(
        frames
          .filter((f) => f.type === 'delta')
          .map((f) => (f.type === 'delta' ? f.delta : ''))
          .join(''),
      ).toBe(expected.join(''));
      said.push(message);
      expect(server.activeSessions).toBe(1);
    }
    expect(recalls).toBe(8);
    expect([...endings.values()].every((n) => n === 1)).toBe(true);
    expect(endings.size).toBe(200);
    expect(outcomes.length).toBeGreaterThan(50);
    expect(outcomes.every((o) => o === 'resumed')).toBe(true);
    expect(Object.keys(cuts).sort()).toEqual(['after-result', 'before-ready', 'mid-delta', 'mid-tool']);
    // The socket goes for good: the session waits out its window, then closes.
    sockets.at(-1)!.terminate();
    client.close();
    expect(server.activeSessions).toBe(1);
    await waitFor(() => server.activeSessions === 0, 'the window to pass', windowMs + 10_000);
  }, 240_000);

  it('a message sent while disconnected is queued, sent after the resume, and answered once', async () => {
    const server = await startResumingServer();
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, {
      WebSocket: Tracked,
      reconnect: { initialDelayMs: 50, maxDelayMs: 50 },
    });
    const statuses: string[] = [];
    client.onStatus = (status) => statuses.push(status);
    await client.connect();
    const results: string[] = [];
    client.onResult = (_e, frame) => results.push(frame.id!);
    sockets[0]!.terminate();
    await waitFor(() => client.status === 'reconnecting', 'reconnecting');
    const id = client.send('remember queued');
    await waitFor(() => results.includes(id), 'the queued message to be answered');
    const frames: TurnFrame[] = [];
    for await (const frame of client.ask('recall')) frames.push(frame);
    expect(generationsOf(frames)).toEqual(['You asked me to remember queued.']);
    expect(results.filter((r) => r === id)).toHaveLength(1);
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'open']);
  });

  it('a message in flight when the socket drops is answered once, after the resume', async () => {
    const server = await startResumingServer();
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, {
      WebSocket: Tracked,
      reconnect: { initialDelayMs: 5 },
    });
    await client.connect();
    const endings: string[] = [];
    client.onResult = (_e, frame) => endings.push(frame.id!);
    // Sent, then cut at once: the server may or may not have it; the client sends it again on
    // resume, and the server answers each id once.
    const id = client.send('remember fast');
    sockets[0]!.terminate();
    await waitFor(() => endings.includes(id), 'the answer');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(endings).toEqual([id]);
  });

  it('a session that expired while away: onResume expired, its pending ask fails, a fresh session answers', async () => {
    const server = await startResumingServer({ resumeWindowMs: 50 });
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, {
      WebSocket: Tracked,
      reconnect: { initialDelayMs: 400, maxDelayMs: 400 },
    });
    const outcomes: ResumeOutcome[] = [];
    client.onResume = (outcome) => outcomes.push(outcome);
    const errors: string[] = [];
    client.onError = (_m, error) => errors.push(error.code);
    await client.connect();
    const frames: TurnFrame[] = [];
    const asking = (async () => {
      for await (const frame of client.ask('count 100000')) {
        frames.push(frame);
        if (frames.length === 3) sockets[0]!.terminate();
      }
    })();
    await asking;
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'session_expired' });
    expect(outcomes).toEqual(['expired']);
    expect(errors).toContain('session_expired');
    const fresh: TurnFrame[] = [];
    for await (const frame of client.ask('recall')) fresh.push(frame);
    expect(generationsOf(fresh)).toEqual(['You asked me to remember .']);
  });

  it('without reconnect nothing changes: a drop fails the pending ask with connection_lost', async () => {
    const server = await startResumingServer();
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, { WebSocket: Tracked });
    await client.connect();
    const frames: TurnFrame[] = [];
    for await (const frame of client.ask('count 100000')) {
      frames.push(frame);
      if (frames.length === 2) sockets[0]!.terminate();
    }
    expect(frames.at(-1)).toMatchObject({ type: 'error', code: 'connection_lost' });
    expect(client.status).toBe('closed');
  });
});

describe('StreamingAgentClient after a resume gap', () => {
  it('dropped twice, the second time right after the restated tool call: each step reaches ask() once', async () => {
    const server = await startServer({
      resumeWindowMs: 30_000,
      // Small enough that the log drops what the client misses while away: every resume is a gap.
      frameLog: new MemoryFrameLog({ maxBytes: 200 }),
      script: [
        {
          input: 'weather in Paris?',
          content: 'Let me look that up for you in a moment, one second please.',
          toolCalls: [{ name: 'getWeather', args: { city: 'Paris' } }],
          duration: 400,
        },
        { input: '"sunny"', content: 'It is sunny in Paris today, enjoy the walk.', duration: 2_500 },
      ],
    });
    const { sockets, WebSocket: Tracked } = trackedSockets();
    const client = new StreamingAgentClient(server.url, {
      WebSocket: Tracked,
      // Away longer than the first generation and the tool: the resume restates both.
      reconnect: { initialDelayMs: 800, maxDelayMs: 800 },
    });
    await client.connect();
    let deltas = 0;
    let toolCalls = 0;
    client.onDelta = () => {
      if (++deltas === 3) sockets.at(-1)!.terminate();
    };
    // The first tool_call this client sees is the restated one: drop again before any newer frame.
    client.onToolCall = () => {
      if (++toolCalls === 1) sockets.at(-1)!.terminate();
    };
    const frames: TurnFrame[] = [];
    for await (const frame of client.ask('weather in Paris?')) frames.push(frame);
    client.close();
    expect(sockets.length).toBeGreaterThanOrEqual(3);
    const steps = frames
      .filter((f) => f.type !== 'delta')
      .map((f) => (f.type === 'complete' ? `complete ${f.generation}` : f.type));
    expect(steps.filter((s) => s === 'tool_call')).toHaveLength(1);
    expect(steps.filter((s) => s === 'tool_output')).toHaveLength(1);
    expect(new Set(steps.filter((s) => s.startsWith('complete'))).size).toBe(
      steps.filter((s) => s.startsWith('complete')).length,
    );
    expect(steps.at(-1)).toBe('result');
    expect(toolCalls).toBe(1);
  }, 30_000);
});

describe('ResumeState', () => {
  it('drops a frame whose seq it has seen, keeps unnumbered ones, forgets the seq for a fresh session', async () => {
    const { ResumeState } = await import('../src/client/resume.js');
    const state = new ResumeState();
    const delta = (seq: number) => ({ type: 'delta' as const, delta: 'x', generation: 1, seq });
    expect(state.canResume).toBe(false);
    state.ready({ type: 'ready', message: 'hi', token: 't' });
    expect([1, 2, 3, 2, 3, 4].map((seq) => state.accept(delta(seq)))).toEqual([
      true,
      true,
      true,
      false,
      false,
      true,
    ]);
    expect(state.accept({ type: 'delta', delta: 'y', generation: 1 })).toBe(true);
    expect(state.resumeFrame()).toEqual({ type: 'resume', token: 't', seq: 4 });
    expect(state.url('ws://h:1/p?a=b')).toBe('ws://h:1/p?a=b&resume=1');
    state.ready({ type: 'ready', message: 'hi', token: 'u' });
    expect(state.accept(delta(1))).toBe(true);
  });

  it('drops a step of an unfinished turn restated a second time, and forgets the turn at its result', async () => {
    const { ResumeState } = await import('../src/client/resume.js');
    const state = new ResumeState();
    state.ready({ type: 'ready', message: 'hi', token: 't' });
    const complete = { type: 'complete' as const, text: 'a', generation: 1, id: 'm' };
    const call = { type: 'tool_call' as const, callId: 'c', name: 'n', arguments: '{}', id: 'm' };
    const output = {
      type: 'tool_output' as const,
      callId: 'c',
      name: 'n',
      output: 'o',
      isError: false,
      id: 'm',
    };
    expect([complete, call, complete, call, output, output].map((f) => state.accept(f))).toEqual([
      true,
      true,
      false,
      false,
      true,
      false,
    ]);
    // Live frames are new by their seq, even a step that repeats one (a model reusing a callId).
    expect(state.accept({ ...call, id: 'live', seq: 10 } as ServerFrame)).toBe(true);
    expect(state.accept({ ...call, id: 'live', seq: 11 } as ServerFrame)).toBe(true);
    // Another turn's steps are its own; without an id nothing is tracked.
    expect(state.accept({ ...complete, id: 'other' })).toBe(true);
    expect(state.accept({ type: 'complete', text: 'a', generation: 1 })).toBe(true);
    expect(state.accept({ type: 'complete', text: 'a', generation: 1 })).toBe(true);
    expect(state.accept({ type: 'result', events: [], id: 'm' })).toBe(true);
    expect(state.accept(complete)).toBe(true);
  });
});
