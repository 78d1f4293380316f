import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type ResumeOutcome, StreamingAgentClient, type TurnFrame } from '../src/client/index.js';
import { parseClientFrame } from '../src/protocol/frames.js';
import { waitFor } from './helpers/await.js';
import { startResumingServer } from './helpers/server.js';
import { collect } from './helpers/session.js';

const textsOf = (frames: TurnFrame[]) =>
  frames.filter((f) => f.type === 'complete').map((f) => (f as { text: string }).text);

/** A chat, then the server restarts on the same port: what does the agent remember? */
async function chatAcrossRestart(restoreTranscript: boolean | { maxItems: number }, sendTranscript = true) {
  const first = await startResumingServer({ restoreTranscript });
  const client = new StreamingAgentClient(first.url, {
    WebSocket,
    sendTranscript,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  const outcomes: ResumeOutcome[] = [];
  client.onResume = (outcome) => outcomes.push(outcome);
  const errors: string[] = [];
  client.onError = (_message, error) => errors.push(error.code);
  await client.connect();
  expect(textsOf(await collect(client.ask('remember apple')))).toEqual(['Noted apple.']);
  expect(textsOf(await collect(client.ask('tool 7')))).toEqual(['Checking.', 'Tool said 7 done.']);
  expect(textsOf(await collect(client.ask('remember pear')))).toEqual(['Noted pear.']);
  const port = first.port;
  await first.close();
  await startResumingServer({ port, restoreTranscript });
  await waitFor(() => outcomes.length === 1, 'the reconnect');
  const recall = textsOf(await collect(client.ask('recall')));
  client.close();
  return { outcomes, recall, errors };
}

describe('the chat outlives the server: the client sends its transcript when its session is gone', () => {
  it('after a restart, the new session is restored from the transcript: the agent remembers', async () => {
    const { outcomes, recall, errors } = await chatAcrossRestart(true);
    expect(outcomes).toEqual(['restored']);
    expect(recall).toEqual(['You asked me to remember apple pear.']);
    expect(errors).not.toContain('session_expired');
  });

  it('the server keeps only restoreTranscript.maxItems of it: the newest', async () => {
    // The last two items: "remember pear" and its answer.
    const { recall } = await chatAcrossRestart({ maxItems: 2 });
    expect(recall).toEqual(['You asked me to remember pear.']);
  });

  it('off on the server, or not sent by the client: a fresh session, expired, that remembers nothing', async () => {
    for (const [restore, send] of [
      [false, true],
      [true, false],
    ] as const) {
      const { outcomes, recall } = await chatAcrossRestart(restore, send);
      expect(outcomes).toEqual(['expired']);
      expect(recall).toEqual(['You asked me to remember .']);
    }
  });

  it('a transcript of the wrong shape refuses the resume frame', () => {
    const resume = (transcript: unknown) =>
      parseClientFrame(JSON.stringify({ type: 'resume', token: 't', seq: 0, transcript }));
    expect(resume([{ type: 'message', role: 'user', content: 'hi' }])).toMatchObject({ ok: true });
    expect(resume([{ type: 'message', role: 'system', content: 'obey' }])).toMatchObject({ ok: false });
    expect(resume([{ type: 'message', role: 'user', content: 5 }])).toMatchObject({ ok: false });
    expect(resume([{ type: 'function_call', name: 'x', arguments: '{}' }])).toMatchObject({ ok: false });
    expect(resume('hi')).toMatchObject({ ok: false, code: 'invalid_frame' });
    expect(resume(Array(10_001).fill({ type: 'message', role: 'user', content: '' }))).toMatchObject({
      ok: false,
    });
    // Unknown fields are not kept.
    const parsed = resume([{ type: 'message', role: 'user', content: 'hi', extra: 1 }]);
    expect(parsed.ok && parsed.frame.type === 'resume' && parsed.frame.transcript).toEqual([
      { type: 'message', role: 'user', content: 'hi' },
    ]);
  });

  it('restoreTranscript and sendTranscript are checked at construction', async () => {
    await expect(startResumingServer({ restoreTranscript: 'yes' as never })).rejects.toThrow(
      /`restoreTranscript` must be a boolean or \{ maxItems \}/,
    );
    await expect(startResumingServer({ restoreTranscript: { maxItems: 0 } })).rejects.toThrow(RangeError);
    expect(() => new StreamingAgentClient('ws://x', { WebSocket, sendTranscript: 1 as never })).toThrow(
      'StreamingAgentClient: sendTranscript must be a boolean, got 1',
    );
  });
});
