/**
 * Issue 9 item 1: `overflow: 'error'` with a real AgentSession and a reader that stops reading.
 * Before: `captureText` rejected inside the framework's forwarding task, nobody awaited it, and the
 * process died of an unhandled rejection; later runs returned no events. Now the reader that fell
 * behind fails on its own (its loop throws BufferOverflowError) and the agent carries on.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { voice } from '@livekit/agents';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BufferOverflowError } from '../src/core/reader-buffer.js';
import { StreamingTextOutput } from '../src/core/streaming-text-output.js';
import { ScriptedChunkLLM } from './helpers/scripted-llm.js';
import { collect } from './helpers/session.js';

const chunks = Array.from({ length: 40 }, (_, i) => `w${i} `);
const reply = chunks.join('');

let unhandled: unknown[] = [];
const trap = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', trap);
});
afterEach(() => {
  process.off('unhandledRejection', trap);
});

async function startSession() {
  const session = new voice.AgentSession({ llm: new ScriptedChunkLLM(() => chunks) });
  const output = StreamingTextOutput.attach(session, { overflow: 'error', bufferSize: 8 });
  await session.start({ agent: new voice.Agent({ instructions: 'test' }) });
  return { session, output };
}

const replyOf = (result: voice.testing.RunResult) => {
  const message = result.events.find((e) => e.type === 'message');
  return message?.type === 'message' ? message.item.textContent : undefined;
};

describe("overflow: 'error' never reaches the framework", () => {
  it('the stalled reader fails with BufferOverflowError; the run, the other readers and later runs are whole', async () => {
    const { session, output } = await startSession();
    const stalled = output.subscribe();
    const reading = collect(output.subscribe());
    const first = await session.run({ userInput: 'one' }).wait();
    const second = await session.run({ userInput: 'two' }).wait();
    expect(replyOf(first)).toBe(reply);
    expect(replyOf(second)).toBe(reply);
    await expect(stalled.next()).rejects.toBeInstanceOf(BufferOverflowError);
    // A failed reader is released: it holds nothing and ends.
    expect(stalled.buffered).toBe(0);
    expect(await stalled.next()).toEqual({ value: undefined, done: true });
    output.close();
    const events = await reading;
    expect(
      events.filter((e) => e.type === 'text_complete').map((e) => e.type === 'text_complete' && e.text),
    ).toEqual([reply, reply]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    await session.close();
  });

  it('a for await loop over the stalled reader ends with the error; captureText never rejects', async () => {
    const { session, output } = await startSession();
    const stalled = output.subscribe();
    const rejections: unknown[] = [];
    for (let i = 0; i < 20; i++) await output.captureText(`x${i}`).catch((error) => rejections.push(error));
    output.flush();
    expect(rejections).toEqual([]);
    await expect(collect(stalled)).rejects.toThrow(/bufferSize/);
    await session.close();
  });

  it('an app that does this runs to the end as its own process (exit code 0, no unhandled rejection)', async () => {
    const app = fileURLToPath(new URL('./fixtures/overflow-error-app.ts', import.meta.url));
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', app],
        { timeout: 60_000 },
        (error, out, err) => resolve({ code: error ? (child.exitCode ?? 1) : 0, stdout: out, stderr: err }),
      );
    });
    expect(stderr).not.toMatch(/Unhandled|BufferOverflowError/);
    expect(code).toBe(0);
    const seen = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(seen.replies).toEqual([seen.expected, seen.expected]);
    expect(seen.stalledError).toBe('BufferOverflowError');
    expect(seen.eventsAfterRelease).toBeGreaterThan(0);
  });
});
