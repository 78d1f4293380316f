import { describe, expect, it } from 'vitest';
import { StreamingTextOutput, StreamReader } from '../src/index.js';
import { tick } from './helpers/await.js';

const DONE = { value: undefined, done: true };
const delta = (text: string) => expect.objectContaining({ type: 'text_delta', delta: text });

describe('concurrent next() on one reader', () => {
  it('queue in call order: three calls, then three deltas, settle with one delta each', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    const calls = [reader.next(), reader.next(), reader.next()];
    await out.captureText('a');
    await out.captureText('b');
    await out.captureText('c');
    expect(await Promise.all(calls)).toEqual([
      { value: delta('a'), done: false },
      { value: delta('b'), done: false },
      { value: delta('c'), done: false },
    ]);
  });

  it('settle in call order when the events arrive one at a time', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    const order: string[] = [];
    const calls = ['first', 'second'].map((name) =>
      reader
        .next()
        .then((r) => order.push(`${name}:${r.done ? 'done' : (r.value as { delta: string }).delta}`)),
    );
    await out.captureText('x');
    await tick();
    expect(order).toEqual(['first:x']);
    await out.captureText('y');
    await Promise.all(calls);
    expect(order).toEqual(['first:x', 'second:y']);
  });

  it('close() settles every waiting call: they end normally', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    const calls = [reader.next(), reader.next(), reader.next()];
    await out.captureText('only');
    out.close();
    expect(await Promise.all(calls)).toEqual([{ value: delta('only'), done: false }, DONE, DONE]);
  });

  it('stream(): the text_complete ends the reader, and the calls behind it end after it', async () => {
    const out = new StreamingTextOutput();
    const reader = out.stream();
    const calls = [reader.next(), reader.next(), reader.next()];
    await out.captureText('hi');
    out.flush();
    const results = await Promise.all(calls);
    expect(results).toEqual([
      { value: delta('hi'), done: false },
      { value: { type: 'text_complete', text: 'hi', generation: 1 }, done: false },
      DONE,
    ]);
  });

  it('an abort rejects the first waiting call with AbortError and ends the others, like an async generator', async () => {
    const out = new StreamingTextOutput();
    const controller = new AbortController();
    const reader = out.subscribe({ signal: controller.signal });
    const calls = [reader.next(), reader.next()].map((p) =>
      p.then(
        (r) => r,
        (e: Error) => e.name,
      ),
    );
    controller.abort();
    expect(await Promise.all(calls)).toEqual(['AbortError', DONE]);
  });

  it('break (return()) ends the waiting calls', async () => {
    const out = new StreamingTextOutput();
    const reader = out.subscribe();
    const calls = [reader.next(), reader.next()];
    await reader.return();
    expect(await Promise.all(calls)).toEqual([DONE, DONE]);
  });
});

describe('the reader has only its reading side', () => {
  it('offers no way to end, feed or stall it from outside', () => {
    const reader = new StreamingTextOutput().subscribe();
    for (const internal of ['start', 'reserve', 'offer', 'end', 'detach', 'finish', 'abort']) {
      expect(internal in reader, internal).toBe(false);
    }
    expect(Object.getOwnPropertyNames(StreamReader.prototype).sort()).toEqual(
      ['constructor', 'buffered', 'done', 'next', 'tryNext', 'readable', 'whenReadable', 'return'].sort(),
    );
  });
});
