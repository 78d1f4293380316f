import { afterEach, describe, expect, it, vi } from 'vitest';
import { frameScheduler } from '../../src/react/commit-scheduler.js';
import { type TextPart, TurnStore } from '../../src/react/turn-store.js';

/** A scheduler the test runs by hand: `flush()` is "the next animation frame". */
function manualFrames() {
  let pending: (() => void) | undefined;
  let requests = 0;
  return {
    schedule: (commit: () => void) => {
      requests++;
      pending = commit;
    },
    flush: () => {
      const commit = pending;
      pending = undefined;
      commit?.();
    },
    get requests() {
      return requests;
    },
  };
}

function storeWithFrames() {
  const frames = manualFrames();
  const store = new TurnStore({}, frames.schedule);
  let notified = 0;
  store.subscribe(() => notified++);
  return { store, frames, notifications: () => notified };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TurnStore options', () => {
  it('rejects a throttleMs of the wrong type with a TypeError naming it', () => {
    expect(() => new TurnStore({ throttleMs: '16' as unknown as number })).toThrow(TypeError);
    expect(() => new TurnStore({ throttleMs: '16' as unknown as number })).toThrow(/`throttleMs`.*string/);
  });

  it('rejects a negative, NaN or infinite throttleMs with a RangeError naming it and the value', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new TurnStore({ throttleMs: bad })).toThrow(RangeError);
      expect(() => new TurnStore({ throttleMs: bad })).toThrow(new RegExp(`throttleMs.*${String(bad)}`));
    }
  });

  it('with throttleMs, commits at most once per that many milliseconds', () => {
    vi.useFakeTimers();
    const store = new TurnStore({ throttleMs: 100 }, frameScheduler(100));
    let notified = 0;
    store.subscribe(() => notified++);
    store.addTurn('t', 'hi');
    const afterAdd = notified;
    for (let ms = 0; ms < 1000; ms += 10) {
      store.delta('t', 1, 'x');
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(100);
    const commits = notified - afterAdd;
    expect(commits).toBeGreaterThanOrEqual(9);
    expect(commits).toBeLessThanOrEqual(11);
    expect(store.getTurns()[0]!.text).toBe('x'.repeat(100));
  });
});

describe('TurnStore: work per delta, commits per frame', () => {
  it('a reply of 100,000 deltas asks for one frame at a time and commits one segment per frame', () => {
    const { store, frames, notifications } = storeWithFrames();
    store.addTurn('t', 'go');
    const before = notifications();
    for (let frame = 0; frame < 100; frame++) {
      for (let i = 0; i < 1000; i++) store.delta('t', 1, 'abc');
      frames.flush();
    }
    // One frame request and one notification per frame, never per delta.
    expect(frames.requests).toBe(100);
    expect(notifications() - before).toBe(100);
    const part = store.getTurns()[0]!.parts[0] as TextPart;
    expect(part.segments).toHaveLength(100);
    expect(part.text).toHaveLength(300_000);
  });

  it('nothing is visible until the frame: deltas are pending, the snapshot is unchanged', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'go');
    const before = store.getTurns();
    store.delta('t', 1, 'Hel');
    store.delta('t', 1, 'lo');
    expect(store.getTurns()).toBe(before);
    frames.flush();
    expect(store.getTurns()).not.toBe(before);
    expect(store.getTurns()[0]!.text).toBe('Hello');
  });

  it('only the streaming turn gets a new object; earlier turns keep theirs, and a frame with no change commits nothing', () => {
    const { store, frames, notifications } = storeWithFrames();
    store.addTurn('a', 'one');
    store.delta('a', 1, 'first reply');
    store.result('a', [], false);
    frames.flush();
    const done = store.getTurns()[0]!;
    store.addTurn('b', 'two');
    store.delta('b', 2, 'second');
    frames.flush();
    store.delta('b', 2, ' reply');
    frames.flush();
    expect(store.getTurns()[0]).toBe(done);
    expect(store.getTurns()[1]!.text).toBe('second reply');
    const count = notifications();
    frames.flush();
    expect(notifications()).toBe(count);
  });

  it('frames for an unknown or missing id change nothing', () => {
    const { store, frames, notifications } = storeWithFrames();
    store.addTurn('t', 'go');
    const count = notifications();
    store.delta('other', 1, 'x');
    store.delta(undefined, 1, 'x');
    store.toolCall('other', { callId: 'c', name: 'n', arguments: '{}' });
    store.result(undefined, [], false);
    store.error('other', 'boom');
    frames.flush();
    expect(notifications()).toBe(count);
    expect(store.getTurns()[0]!.parts).toEqual([]);
  });
});

describe('TurnStore: parts in order', () => {
  it('text, a running tool, its output, more text, then the result', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'weather?');
    store.delta('t', 3, 'Let me ');
    store.delta('t', 3, 'look.');
    store.complete('t', 3, 'Let me look.');
    store.toolCall('t', { callId: 'c1', name: 'lookupWeather', arguments: '{"city":"Paris"}' });
    frames.flush();
    let turn = store.getTurns()[0]!;
    expect(turn.parts.map((p) => p.type)).toEqual(['text', 'tool']);
    expect(turn.parts[1]).toMatchObject({ callId: 'c1', name: 'lookupWeather', state: 'running' });
    expect(turn.parts[1]).not.toHaveProperty('output');
    const textBefore = turn.parts[0];

    store.toolOutput('t', { callId: 'c1', name: 'lookupWeather', output: 'sunny', isError: false });
    frames.flush();
    turn = store.getTurns()[0]!;
    expect(turn.parts[1]).toMatchObject({
      callId: 'c1',
      arguments: '{"city":"Paris"}',
      output: 'sunny',
      isError: false,
      state: 'done',
    });
    // The text before the tool did not change, so its part keeps its object.
    expect(turn.parts[0]).toBe(textBefore);

    store.delta('t', 4, 'It is sunny.');
    store.result('t', [{ type: 'message', role: 'assistant', content: 'x' }], false);
    frames.flush();
    turn = store.getTurns()[0]!;
    expect(turn.parts.map((p) => p.type)).toEqual(['text', 'tool', 'text']);
    expect(turn.parts[2]).toMatchObject({ type: 'text', generation: 4, text: 'It is sunny.' });
    // The fields from before parts still work.
    expect(turn.firstGeneration).toBe(3);
    expect(turn.generations).toEqual(['Let me look.', 'It is sunny.']);
    expect(turn.text).toBe('Let me look.\n\nIt is sunny.');
    expect(turn.status).toBe('complete');
    expect(turn.events).toHaveLength(1);
  });

  it('two calls in one step keep their order, and each output finds its own call', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'two cities');
    store.toolCall('t', { callId: 'a', name: 'w', arguments: '{"city":"A"}' });
    store.toolCall('t', { callId: 'b', name: 'w', arguments: '{"city":"B"}' });
    store.toolOutput('t', { callId: 'b', name: 'w', output: 'B out', isError: false });
    frames.flush();
    const parts = store.getTurns()[0]!.parts;
    expect(parts.map((p) => (p.type === 'tool' ? `${p.callId}:${p.state}` : p.type))).toEqual([
      'a:running',
      'b:done',
    ]);
    store.toolOutput('t', { callId: 'a', name: 'w', output: 'failed', isError: true });
    frames.flush();
    expect(store.getTurns()[0]!.parts[0]).toMatchObject({ callId: 'a', state: 'done', isError: true });
  });

  it('an output whose call was never seen is still shown, as a finished step', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'x');
    store.toolOutput('t', { callId: 'z', name: 'w', output: 'late', isError: false });
    frames.flush();
    expect(store.getTurns()[0]!.parts).toEqual([
      { type: 'tool', callId: 'z', name: 'w', arguments: '', output: 'late', isError: false, state: 'done' },
    ]);
  });

  it('an interrupt while a tool runs ends the turn with the call shown and no output', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'x');
    store.toolCall('t', { callId: 'c', name: 'w', arguments: '{}' });
    store.result('t', [], true);
    frames.flush();
    const turn = store.getTurns()[0]!;
    expect(turn.status).toBe('interrupted');
    expect(turn.parts).toEqual([{ type: 'tool', callId: 'c', name: 'w', arguments: '{}', state: 'running' }]);
  });

  it("a generation's complete text wins when it disagrees with its deltas", () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'x');
    store.delta('t', 1, 'Hel');
    frames.flush();
    store.complete('t', 1, 'Hello');
    frames.flush();
    expect(store.getTurns()[0]!.text).toBe('Hello');
  });

  it("a resumed connection's restated generation replaces its text, and deltas continue after it", () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'x');
    store.delta('t', 1, 'Hel');
    frames.flush();
    store.restate('t', 1, 'Hello, wor');
    store.delta('t', 1, 'ld');
    frames.flush();
    expect(store.getTurns()[0]!.text).toBe('Hello, world');
    expect(store.getTurns()[0]!.parts).toHaveLength(1);
  });

  it('an error marks the turn and keeps what was streamed', () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'x');
    store.delta('t', 1, 'partial');
    store.error('t', 'the agent failed');
    frames.flush();
    expect(store.getTurns()[0]).toMatchObject({
      status: 'error',
      error: 'the agent failed',
      text: 'partial',
    });
  });
});

describe('TurnStore: a server without tool frames', () => {
  it("places the tool steps from the turn's result, between the texts, once it ends", () => {
    const { store, frames } = storeWithFrames();
    store.addTurn('t', 'weather?');
    store.delta('t', 1, 'Let me look.');
    store.delta('t', 2, 'It is sunny.');
    store.result(
      't',
      [
        { type: 'message', role: 'assistant', content: 'Let me look.' },
        { type: 'function_call', name: 'w', arguments: '{}', callId: 'c' },
        { type: 'function_call_output', output: 'sunny', callId: 'c', isError: false },
        { type: 'message', role: 'assistant', content: 'It is sunny.' },
      ],
      false,
    );
    frames.flush();
    const parts = store.getTurns()[0]!.parts;
    expect(parts.map((p) => p.type)).toEqual(['text', 'tool', 'text']);
    expect(parts[1]).toEqual({
      type: 'tool',
      callId: 'c',
      name: 'w',
      arguments: '{}',
      output: 'sunny',
      isError: false,
      state: 'done',
    });
  });
});

describe('frameScheduler', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('commits on the next animation frame, once, and not again on the timer', () => {
    vi.useFakeTimers();
    let frame: (() => void) | undefined;
    vi.stubGlobal('requestAnimationFrame', (cb: () => void) => {
      frame = cb;
      return 1;
    });
    vi.stubGlobal('cancelAnimationFrame', () => undefined);
    let commits = 0;
    frameScheduler(undefined)(() => commits++);
    expect(commits).toBe(0);
    frame!();
    vi.advanceTimersByTime(1000);
    expect(commits).toBe(1);
  });

  it('in a background tab (no frames come), commits after 250 ms anyway', () => {
    vi.useFakeTimers();
    vi.stubGlobal('requestAnimationFrame', () => 1);
    vi.stubGlobal('cancelAnimationFrame', () => undefined);
    let commits = 0;
    frameScheduler(undefined)(() => commits++);
    vi.advanceTimersByTime(249);
    expect(commits).toBe(0);
    vi.advanceTimersByTime(1);
    expect(commits).toBe(1);
  });
});
