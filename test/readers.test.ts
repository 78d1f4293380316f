import { describe, expect, it } from 'vitest';
import { BufferOverflowError, type StreamEvent, StreamingTextOutput } from '../src/index.js';
import { settledWithin, tick } from './helpers/await.js';
import { collect } from './helpers/session.js';

/** Drives the output the way the framework does: awaits each captureText, flushes at the end. */
async function produce(out: StreamingTextOutput, chunks: string[]) {
  for (const chunk of chunks) await out.captureText(chunk);
  out.flush();
}

const textOf = (events: StreamEvent[]) =>
  events.map((e) => (e.type === 'text_delta' ? e.delta : '')).join('');

describe('overflow policies', () => {
  const chunks = Array.from({ length: 100 }, (_, i) => `c${i} `);
  const text = chunks.join('');

  it('coalesce: a reader that falls behind loses no text and holds at most bufferSize events', async () => {
    const out = new StreamingTextOutput({ bufferSize: 8 });
    const reader = out.subscribe();
    await produce(out, chunks);
    expect(reader.buffered).toBeLessThanOrEqual(8);
    out.close();
    const events = await collect(reader);
    expect(textOf(events)).toBe(text);
    expect(events.at(-1)).toEqual({ type: 'text_complete', text, generation: 1 });
    let prefix = '';
    for (const e of events) {
      if (e.type !== 'text_delta') continue;
      prefix += e.delta;
      expect(e.accumulated).toBe(prefix);
    }
  });

  it('coalesce: a stalled reader across many generations keeps one delta and one complete per generation', async () => {
    const out = new StreamingTextOutput({ bufferSize: 4 });
    const reader = out.subscribe();
    for (let g = 0; g < 10; g++) await produce(out, chunks);
    expect(reader.buffered).toBe(20);
    out.close();
    const events = await collect(reader);
    expect(events.filter((e) => e.type === 'text_complete').map((e) => e.generation)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(textOf(events)).toBe(text.repeat(10));
  });

  it('block: captureText waits for room and resumes as the reader reads', async () => {
    const out = new StreamingTextOutput({ bufferSize: 4, overflow: 'block' });
    const reader = out.subscribe();
    let produced = 0;
    const producing = (async () => {
      for (const chunk of chunks) {
        await out.captureText(chunk);
        produced++;
      }
      out.flush();
    })();
    await tick();
    expect(produced).toBe(4);
    const events: StreamEvent[] = [];
    for await (const event of reader) {
      events.push(event);
      expect(reader.buffered).toBeLessThanOrEqual(4);
      if (event.type === 'text_complete') break;
    }
    await producing;
    expect(textOf(events)).toBe(text);
    expect(events.filter((e) => e.type === 'text_delta')).toHaveLength(100);
  });

  it('block: a reader that breaks out no longer holds the producer', async () => {
    const out = new StreamingTextOutput({ bufferSize: 2, overflow: 'block' });
    const reader = out.subscribe();
    const producing = produce(out, chunks);
    await tick();
    // Held: the reader is full and the producer waits for it.
    expect(reader.buffered).toBe(2);
    expect(await settledWithin(producing, 50)).toBe('pending');
    await reader.next();
    await reader.return();
    expect(await settledWithin(producing, 2_000)).toBe('settled');
    expect(out.generation).toBe(1);
  });

  it('block: close() releases a producer that is waiting', async () => {
    const out = new StreamingTextOutput({ bufferSize: 2, overflow: 'block' });
    const reader = out.subscribe();
    const producing = produce(out, chunks);
    await tick();
    expect(await settledWithin(producing, 50)).toBe('pending');
    out.close();
    expect(await settledWithin(producing, 2_000)).toBe('settled');
    // The reader still delivers what it held before close(), then ends.
    expect((await collect(reader)).map((e) => (e.type === 'text_delta' ? e.delta : ''))).toEqual(
      chunks.slice(0, 2),
    );
  });

  it('error: the reader that falls bufferSize behind fails with an error naming the options; the rest go on', async () => {
    const out = new StreamingTextOutput({ bufferSize: 3, overflow: 'error' });
    const behind = out.subscribe();
    const keepingUp = out.subscribe();
    const got: string[] = [];
    for (const c of ['a', 'b', 'c', 'd', 'e']) {
      await out.captureText(c); // never rejects: the framework does not await it anywhere safe
      const event = keepingUp.tryNext();
      if (event?.type === 'text_delta') got.push(event.delta);
    }
    expect(got).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(out.accumulatedText).toBe('abcde');
    await expect(behind.next()).rejects.toBeInstanceOf(BufferOverflowError);
    out.flush();
    out.close();
    await expect(collect(out.subscribe())).resolves.toEqual([]);
    const overflow = out.subscribe();
    expect(overflow.done).toBe(true);
  });

  it('error: a reader failed by overflow has a message that names bufferSize and overflow', async () => {
    const out = new StreamingTextOutput({ bufferSize: 1, overflow: 'error' });
    const behind = out.subscribe();
    await out.captureText('a');
    await out.captureText('b');
    await expect(collect(behind)).rejects.toThrow(/bufferSize.*overflow/);
  });

  it('rejects a bad bufferSize or policy at construction', () => {
    expect(() => new StreamingTextOutput({ bufferSize: 0 })).toThrow(RangeError);
    expect(() => new StreamingTextOutput({ overflow: 'drop' as 'block' })).toThrow(/`overflow`/);
  });
});

describe('ending readers', () => {
  it('close() ends a waiting for-await loop normally', async () => {
    const out = new StreamingTextOutput();
    const loops = [collect(out), collect(out.subscribe())];
    await tick();
    out.close();
    expect(await Promise.all(loops)).toEqual([[], []]);
  });

  it('close() lets readers finish what they already hold, then ends them', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    await out.captureText('kept');
    out.close();
    await out.captureText('after close');
    out.flush();
    expect(out.accumulatedText).toBe('kept');
    expect((await collect(reader)).map((e) => e.type)).toEqual(['text_delta']);
    expect(await collect(out.subscribe())).toEqual([]);
  });

  it('after close() calls still reach nextInChain, in order', async () => {
    const next = new StreamingTextOutput();
    const out = new StreamingTextOutput({ nextInChain: next });
    const downstream = next.subscribe();
    await out.captureText('a');
    out.close();
    await out.captureText('b');
    out.flush();
    next.close();
    expect((await collect(downstream)).map((e) => (e.type === 'text_delta' ? e.delta : e.text))).toEqual([
      'a',
      'b',
      'ab',
    ]);
  });

  it('an aborted signal ends that loop with an AbortError, and only that loop', async () => {
    const out = new StreamingTextOutput();
    const controller = new AbortController();
    const aborted = collect(out.subscribe({ signal: controller.signal }));
    const other = out.subscribe();
    await tick();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await produce(out, ['still', ' here']);
    expect((await other.next()).value).toMatchObject({ delta: 'still' });
  });

  it('an already-aborted signal ends the loop before it starts and buffers nothing', async () => {
    const out = new StreamingTextOutput({ overflow: 'block', bufferSize: 1 });
    const reader = out.subscribe({ signal: AbortSignal.abort() });
    await produce(out, ['a', 'b', 'c']);
    expect(reader.buffered).toBe(0);
    await expect(reader.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(await reader.next()).toEqual({ value: undefined, done: true });
  });

  it('break releases the reader: nothing more is buffered for it', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    await out.captureText('a');
    for await (const _ of reader) break;
    await produce(out, ['b', 'c']);
    expect(reader.buffered).toBe(0);
    expect(reader.done).toBe(true);
  });

  it('a generation with no text still yields its text_complete', async () => {
    const out = new StreamingTextOutput();
    const reading = collect(out);
    out.flush();
    expect(await reading).toEqual([{ type: 'text_complete', text: '', generation: 1 }]);
  });

  it('the stream() backlog keeps at most bufferSize events, dropping the oldest finished generations', async () => {
    const out = new StreamingTextOutput({ bufferSize: 4 });
    for (let g = 1; g <= 5; g++) await produce(out, [`g${g}a `, `g${g}b`]);
    const first = await collect(out.stream());
    expect(first.every((e) => 'generation' in e && e.generation === 4)).toBe(true);
    expect(first.at(-1)).toEqual({ type: 'text_complete', text: 'g4a g4b', generation: 4 });
    const second = await collect(out.stream());
    expect(second.at(-1)).toEqual({ type: 'text_complete', text: 'g5a g5b', generation: 5 });
  });
});

describe('unicode', () => {
  it('multi-byte characters, emoji and combining marks split across chunks come out intact', async () => {
    const reply = 'Grüße 👋🏽 from Zürich — naïve café, 日本語のテキスト, e\u0301 and 👨‍👩‍👧‍👦!';
    for (const size of [1, 2, 3, 5]) {
      const chunks: string[] = [];
      for (let i = 0; i < reply.length; i += size) chunks.push(reply.slice(i, i + size));
      const out = new StreamingTextOutput();
      const reading = collect(out);
      await produce(out, chunks);
      const events = await reading;
      expect(textOf(events)).toBe(reply);
      expect(events.at(-1)).toMatchObject({ text: reply });
    }
  });
});

describe('backlogSize', () => {
  it('0 keeps nothing for a later stream() reader', async () => {
    const out = new StreamingTextOutput({ backlogSize: 0 });
    await produce(out, ['lost', ' to nobody']);
    const reading = collect(out);
    await produce(out, ['seen']);
    expect(await reading).toEqual([
      { type: 'text_delta', delta: 'seen', accumulated: 'seen', generation: 2 },
      { type: 'text_complete', text: 'seen', generation: 2 },
    ]);
    expect(() => new StreamingTextOutput({ backlogSize: -1 })).toThrow(RangeError);
  });
});
