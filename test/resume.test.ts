import { describe, expect, it } from 'vitest';
import type { SequencedFrame, ServerFrame } from '../src/protocol/frames.js';
import { createStreamingServer } from '../src/server/index.js';
import { MemoryFrameLog } from '../src/session/frame-log.js';
import { RedisSessionStore } from '../src/session/stores/redis.js';
import { waitFor } from './helpers/await.js';
import { conversationAgent, replyFor } from './helpers/conversation-llm.js';
import { startResumingServer, startServer } from './helpers/server.js';
import { TestClient } from './helpers/ws-client.js';

const seqOf = (frame: ServerFrame) => (frame as SequencedFrame).seq;

function tokenOf(client: TestClient): string {
  const ready = client.frames.find((f) => f.type === 'ready');
  if (ready?.type !== 'ready' || ready.token === undefined) throw new Error('no token in ready');
  return ready.token;
}

/** The turn frames (numbered) a client got, in order. */
const numbered = (client: TestClient) => client.frames.filter((f) => seqOf(f) !== undefined);

const deltaText = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'delta' ? f.delta : '')).join('');

describe('resume: tokens and sequence numbers', () => {
  it('ready carries a 256-bit token; every turn frame has seq increasing by one; ready has none', async () => {
    const server = await startResumingServer();
    const client = await TestClient.connect(server.url);
    const token = tokenOf(client);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(seqOf(client.frames[0]!)).toBeUndefined();
    await client.turn('remember apple');
    await client.turn('tool 1');
    const seqs = numbered(client).map(seqOf);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs.length).toBe(client.frames.length - 1);
    const other = await TestClient.connect(server.url);
    expect(tokenOf(other)).not.toBe(token);
  });

  it('resumeWindowMs: 0 sends no token and no seq, and closes the session with its socket', async () => {
    const server = await startResumingServer({ resumeWindowMs: 0 });
    const client = await TestClient.connect(server.url);
    expect(client.frames[0]).toEqual({ type: 'ready', message: 'Agent ready', maxPayload: 64 * 1024 });
    const frames = await client.turn('remember apple');
    expect(frames.every((f) => seqOf(f) === undefined)).toBe(true);
    await client.close();
    await waitFor(() => server.activeSessions === 0, 'the session to close');
  });
});

describe('resume: a dropped socket loses nothing', () => {
  it('mid-reply: the replay starts right after the last seq, goes on live, and the text is exact', async () => {
    const server = await startResumingServer();
    const first = await TestClient.connect(server.url);
    const token = tokenOf(first);
    first.ask('count 1000', 'm1');
    await first.waitFor((f) => f.type === 'delta' && f.delta.startsWith('w20 '));
    first.socket.terminate();
    await first.closed;
    const got = numbered(first);
    const last = seqOf(got.at(-1)!);
    const second = await TestClient.resume(server.url, token, last);
    const ready = second.frames[0]!;
    expect(ready).toMatchObject({ type: 'ready', token, resumed: true });
    await second.waitFor((f) => f.type === 'result');
    const after = numbered(second);
    expect(after.map(seqOf)).toEqual(after.map((_, i) => last + 1 + i));
    expect(deltaText([...got, ...after])).toBe(replyFor('count 1000', [])[0]);
    expect(server.activeSessions).toBe(1);
  });

  it('the same AgentSession: the agent recalls what was said before the drop', async () => {
    const server = await startResumingServer();
    const first = await TestClient.connect(server.url);
    await first.turn('remember apple');
    await first.turn('remember pear');
    const last = seqOf(first.frames.at(-1)!);
    first.socket.terminate();
    await first.closed;
    const second = await TestClient.resume(server.url, tokenOf(first), last);
    const frames = await second.turn('recall');
    expect(deltaText(frames)).toBe('You asked me to remember apple pear.');
    expect(server.activeSessions).toBe(1);
  });

  it('a turn that finished while the client was away is replayed whole, result included', async () => {
    const server = await startResumingServer();
    const first = await TestClient.connect(server.url);
    first.ask('tool 7', 't');
    await first.waitFor((f) => f.type === 'delta');
    first.socket.terminate();
    await first.closed;
    // Wait until the turn has ended on the server, with nobody attached.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(numbered(first).at(-1)!));
    await second.waitFor((f) => f.type === 'result');
    const all = [...numbered(first), ...numbered(second)];
    expect(all.map(seqOf)).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((f) => f.type === 'complete').map((f) => f.type === 'complete' && f.text)).toEqual([
      'Checking.',
      'Tool said 7 done.',
    ]);
    expect(all.filter((f) => f.type === 'result')).toHaveLength(1);
  });

  it("onDisconnect: 'interrupt' stops the turn; the resumed client gets its interrupted result", async () => {
    const server = await startResumingServer({ onDisconnect: 'interrupt' });
    const first = await TestClient.connect(server.url);
    first.ask('count 100000', 'long');
    await first.waitFor((f) => f.type === 'delta');
    first.socket.terminate();
    await first.closed;
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(numbered(first).at(-1)!));
    const end = await second.waitFor((f) => f.type === 'result');
    expect(second.frames[end]).toMatchObject({ type: 'result', id: 'long', interrupted: true });
    const text = deltaText([...numbered(first), ...numbered(second)]);
    expect(replyFor('count 100000', [])[0]!.startsWith(text)).toBe(true);
    expect(text.length).toBeLessThan(replyFor('count 100000', [])[0]!.length);
  });

  it('messages sent while a replay runs are answered after it, in order', async () => {
    const server = await startResumingServer();
    const first = await TestClient.connect(server.url);
    first.ask('count 500', 'a');
    await first.waitFor((f) => f.type === 'delta');
    first.socket.terminate();
    await first.closed;
    const second = new TestClient(`${server.url}?resume=1`);
    await second.opened;
    second.send({ type: 'resume', token: tokenOf(first), seq: seqOf(numbered(first).at(-1)!) });
    second.ask('remember kiwi', 'b');
    await second.waitFor((f) => f.type === 'result' && f.id === 'b');
    const results = second.frames.filter((f) => f.type === 'result').map((f) => f.type === 'result' && f.id);
    expect(results).toEqual(['a', 'b']);
  });

  it('a second socket resuming while the first still looks open takes over; the first is closed', async () => {
    const server = await startResumingServer();
    const first = await TestClient.connect(server.url);
    await first.turn('remember fig');
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(first.frames.at(-1)!));
    expect(await first.closed).toBe(1000);
    expect(deltaText(await second.turn('recall'))).toBe('You asked me to remember fig.');
  });
});

describe('resume: what does not resume', () => {
  it('an unknown token gets session_expired and a fresh session with a new token', async () => {
    const server = await startResumingServer();
    const client = new TestClient(`${server.url}?resume=1`);
    await client.opened;
    client.send({ type: 'resume', token: 'A'.repeat(43), seq: 5 });
    await client.waitFor((f) => f.type === 'ready');
    expect(client.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
    expect(client.frames[0]).not.toHaveProperty('id');
    expect(client.frames[1]).toMatchObject({ type: 'ready' });
    expect(tokenOf(client)).not.toBe('A'.repeat(43));
    expect(deltaText(await client.turn('recall'))).toBe('You asked me to remember .');
  });

  it('after the window the session is closed, activeSessions is 0, and a late resume is expired', async () => {
    const server = await startResumingServer({ resumeWindowMs: 200 });
    const first = await TestClient.connect(server.url);
    await first.turn('remember plum');
    await first.close();
    expect(server.detachedSessions).toBe(1);
    await waitFor(() => server.activeSessions === 0, 'the window to pass');
    expect(server.detachedSessions).toBe(0);
    const late = await TestClient.resume(server.url, tokenOf(first), seqOf(first.frames.at(-1)!));
    expect(late.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
    expect(deltaText(await late.turn('recall'))).toBe('You asked me to remember .');
  });

  it('with authenticate, a token resumes only for the identity that created it', async () => {
    const server = await startResumingServer({
      authenticate: (request) => ({ user: String(request.headers['x-user']) }),
    });
    const alice = await TestClient.connect(server.url, { headers: { 'x-user': 'alice' } });
    await alice.turn('remember secret');
    const seq = seqOf(alice.frames.at(-1)!);
    alice.socket.terminate();
    await alice.closed;
    const mallory = new TestClient(`${server.url}?resume=1`, { headers: { 'x-user': 'mallory' } });
    await mallory.opened;
    mallory.send({ type: 'resume', token: tokenOf(alice), seq });
    await mallory.waitFor((f) => f.type === 'ready');
    expect(mallory.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
    expect(deltaText(await mallory.turn('recall'))).toBe('You asked me to remember .');
    // The same answer as for an unknown token, and Alice's session is still hers.
    const back = new TestClient(`${server.url}?resume=1`, { headers: { 'x-user': 'alice' } });
    await back.opened;
    back.send({ type: 'resume', token: tokenOf(alice), seq });
    await back.waitFor((f) => f.type === 'ready');
    expect(back.frames[0]).toMatchObject({ type: 'ready', resumed: true });
    expect(deltaText(await back.turn('recall'))).toBe('You asked me to remember secret.');
  });

  it("identities JSON cannot encode (BigInt) still tell users apart: bob cannot resume alice's token", async () => {
    const server = await startResumingServer({
      authenticate: (request) => ({ userId: request.headers['x-user'] === 'alice' ? 1n : 2n }),
    });
    const alice = await TestClient.connect(server.url, { headers: { 'x-user': 'alice' } });
    await alice.turn('remember secret');
    const seq = seqOf(alice.frames.at(-1)!);
    alice.socket.terminate();
    await alice.closed;
    const bob = new TestClient(`${server.url}?resume=1`, { headers: { 'x-user': 'bob' } });
    await bob.opened;
    bob.send({ type: 'resume', token: tokenOf(alice), seq });
    await bob.waitFor((f) => f.type === 'ready');
    expect(bob.frames[0]).toMatchObject({ type: 'error', code: 'session_expired' });
    expect(deltaText(await bob.turn('recall'))).toBe('You asked me to remember .');
    const back = new TestClient(`${server.url}?resume=1`, { headers: { 'x-user': 'alice' } });
    await back.opened;
    back.send({ type: 'resume', token: tokenOf(alice), seq });
    await back.waitFor((f) => f.type === 'ready');
    expect(back.frames[0]).toMatchObject({ type: 'ready', resumed: true });
  });

  it('an identity with no stable encoding (a cycle, a function, a Map) refuses the upgrade with 500 and a clear error, never a silent match', async () => {
    const cyclic: Record<string, unknown> = { user: 'alice' };
    cyclic.self = cyclic;
    const values: Record<string, object> = {
      cycle: cyclic,
      fn: { user: 'alice', check: () => true },
      map: { roles: new Map([['admin', true]]) },
    };
    const errors: string[] = [];
    const server = await startResumingServer({
      authenticate: (request) => values[String(request.headers['x-kind'])]!,
      onError: (error, where) => errors.push(`${where}: ${(error as Error).message}`),
    });
    for (const kind of Object.keys(values)) {
      const client = new TestClient(server.url, { headers: { 'x-kind': kind } });
      await expect(client.opened).rejects.toThrow('HTTP 500');
    }
    expect(errors).toEqual([
      'authenticate: identity: authenticate() result.self refers back to itself (a cycle)',
      'authenticate: identity: authenticate() result.check is a function, which has no stable encoding',
      expect.stringMatching(
        /^authenticate: identity: authenticate\(\) result\.roles is a Map; use plain objects/,
      ),
    ]);
    expect(server.activeSessions).toBe(0);
  });

  it('a resuming connection that sends a message first gets a fresh session and its answer', async () => {
    const server = await startResumingServer();
    const client = new TestClient(`${server.url}?resume=1`);
    await client.opened;
    client.ask('remember x', 'only');
    await client.waitFor((f) => f.type === 'result' && f.id === 'only');
    expect(client.frames[0]).toMatchObject({ type: 'ready' });
  });

  it('a connection opened with ?resume=1 that never sends a resume frame is closed with 1008', async () => {
    const server = await startResumingServer();
    const client = new TestClient(`${server.url}?resume=1`);
    await client.opened;
    expect(await client.closed).toBe(1008);
    expect(client.frames).toEqual([expect.objectContaining({ type: 'error', code: 'resume_required' })]);
    expect(server.activeSessions).toBe(0);
  }, 20_000);

  it('a resume frame on a connection that already has its session is refused on that socket only, never logged', async () => {
    const server = await startResumingServer();
    const client = await TestClient.connect(server.url);
    const token = tokenOf(client);
    await client.turn('remember the word kiwi');
    client.send({ type: 'resume', token, seq: 0 });
    const refused = await client.waitFor((f) => f.type === 'error');
    expect(client.frames[refused]).toMatchObject({ type: 'error', code: 'unknown_type' });
    expect(seqOf(client.frames[refused]!)).toBeUndefined();
    // The session's log has no trace of it: a later resume from 0 replays the turn, and no error.
    client.socket.terminate();
    const back = await TestClient.resume(server.url, token, 0);
    await back.waitFor((f) => f.type === 'result');
    expect(back.frames.some((f) => f.type === 'error')).toBe(false);
  });

  it('a message reusing the id of one already answered gets duplicate_id on its socket (not numbered); the session goes on', async () => {
    const server = await startResumingServer();
    const client = await TestClient.connect(server.url);
    client.ask('remember one', 'a');
    await client.waitFor((f) => f.type === 'result' && f.id === 'a');
    const from = client.frames.length;
    client.ask('remember two', 'a');
    client.ask('remember three', 'b');
    await client.waitFor((f) => f.type === 'result' && f.id === 'b', from);
    const answers = client.frames.slice(from).filter((f) => 'id' in f && f.id === 'a');
    expect(answers).toEqual([expect.objectContaining({ type: 'error', code: 'duplicate_id', id: 'a' })]);
    expect(seqOf(answers[0]!)).toBeUndefined();
  });

  it('a message refused as busy was not taken: the same id sent again later is answered', async () => {
    const server = await startResumingServer({ maxQueuedMessages: 1 });
    const client = await TestClient.connect(server.url);
    client.ask('count 300', 'a');
    client.ask('remember x', 'b');
    client.ask('remember y', 'c');
    await client.waitFor((f) => f.type === 'error' && f.id === 'c' && f.code === 'busy');
    await client.waitFor((f) => f.type === 'result' && f.id === 'b');
    const from = client.frames.length;
    client.ask('remember y', 'c');
    client.ask('remember z', 'd');
    await client.waitFor((f) => f.type === 'result' && f.id === 'd', from);
    const answersToC = client.frames.slice(from).filter((f) => 'id' in f && f.id === 'c');
    expect(answersToC.map((f) => f.type)).toContain('result');
  });

  it('malformed resume frames are refused as invalid frames', async () => {
    const server = await startResumingServer();
    for (const bad of [
      { type: 'resume', seq: 1 },
      { type: 'resume', token: '', seq: 1 },
      { type: 'resume', token: 'x'.repeat(300), seq: 1 },
      { type: 'resume', token: 'abc', seq: -1 },
      { type: 'resume', token: 'abc', seq: 1.5 },
      // Safe, but the frames after it could not be numbered higher.
      { type: 'resume', token: 'abc', seq: 2 ** 53 - 1 },
    ]) {
      const client = await TestClient.connect(server.url);
      client.send(bad);
      const refused = await client.waitFor((f) => f.type === 'error' && f.code === 'invalid_frame');
      // Says what a resume frame needs, not that the frame is no JSON object.
      expect(client.frames[refused]).toMatchObject({
        message: expect.stringMatching(/^a `resume` frame needs/),
      });
    }
  });
});

/** A client that had one turn, asked for a long reply ('c'), and dropped after its tenth word. */
async function droppedMidReply(url: string): Promise<TestClient> {
  const client = await TestClient.connect(url);
  await client.turn('remember one');
  client.ask('count 2000', 'c');
  await client.waitFor((f) => f.type === 'delta' && f.id === 'c' && f.delta === 'w10 ');
  client.socket.terminate();
  await client.closed;
  return client;
}

describe('resume: the log bound', () => {
  it('frames no longer held: resume_gap, the turn so far restated, then live; the text is exact', async () => {
    const server = await startResumingServer({ frameLog: new MemoryFrameLog({ maxBytes: 2_000 }) });
    const first = await droppedMidReply(server.url);
    // Far behind: let the log drop what the client has not seen.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(numbered(first).at(-1)!));
    await second.waitFor((f) => f.type === 'result' && f.id === 'c');
    const [ready, gap, restate] = second.frames;
    expect(ready).toMatchObject({ type: 'ready', resumed: true });
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    expect(gap).not.toHaveProperty('id');
    const rest = second.frames.slice(3);
    if (restate?.type === 'delta') {
      expect(restate).toMatchObject({ id: 'c', restate: true });
      expect(restate.delta + deltaText(rest)).toBe(replyFor('count 2000', [])[0]);
    } else {
      // The turn had already finished: its complete is restated, and its result resent.
      expect(restate).toMatchObject({ type: 'complete', id: 'c', text: replyFor('count 2000', [])[0] });
    }
    const live = rest.filter((f) => seqOf(f) !== undefined).map(seqOf);
    expect(live).toEqual([...live].sort((a, b) => a! - b!));
  });

  it('a turn that ended while the client was away, from before what the log holds: its text is restated, then its result', async () => {
    const server = await startResumingServer({ frameLog: new MemoryFrameLog({ maxBytes: 2_000 }) });
    const first = await TestClient.connect(server.url);
    await first.turn('remember one');
    const reply = replyFor('count 300', [])[0]!;
    const from = first.frames.length;
    await first.turn('count 300');
    // As if the socket had dropped right after the turn's first delta, and the turn then ended.
    const firstDelta = first.frames.slice(from).find((f) => f.type === 'delta')!;
    first.socket.terminate();
    await first.closed;
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(firstDelta));
    await second.waitFor((f) => f.type === 'result');
    const [ready, gap, ...rest] = second.frames;
    expect(ready).toMatchObject({ type: 'ready', resumed: true });
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    expect(rest.map((f) => f.type)).toEqual(['complete', 'result']);
    expect(rest[0]).toMatchObject({ type: 'complete', text: reply });
    // Only what the client lacked: the earlier turn, which it had whole, is not restated.
    expect(rest.some((f) => f.type === 'complete' && f.text === 'Noted one.')).toBe(false);
  });

  it('a tool turn from before what the log holds: its text and its tool steps are restated in order, then its result', async () => {
    const server = await startServer({
      resumeWindowMs: 30_000,
      frameLog: new MemoryFrameLog({ maxBytes: 200 }),
    });
    const first = await TestClient.connect(server.url);
    const turn = await first.turn('weather in Paris?');
    const firstDelta = turn.find((f) => f.type === 'delta')!;
    first.socket.terminate();
    await first.closed;
    // As if the socket had dropped after the turn's first delta: the log holds only its end.
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(firstDelta)!);
    await second.waitFor((f) => f.type === 'result');
    const [ready, gap, ...rest] = second.frames;
    expect(ready).toMatchObject({ type: 'ready', resumed: true });
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    expect(rest.map((f) => f.type)).toEqual(['complete', 'tool_call', 'tool_output', 'complete', 'result']);
    const sent = turn.filter((f) => f.type !== 'delta' && f.type !== 'ready');
    // The same frames the turn sent, the restated ones without their seq.
    expect(rest.slice(0, 4)).toEqual(
      sent.slice(0, 4).map(({ seq, ...frame }: ServerFrame & { seq?: number }) => frame),
    );
    expect(rest[4]).toEqual(sent[4]);
  });

  it('turns older than the last two, from before what the log holds: each restated from its result (text and tool steps), in order', async () => {
    const server = await startServer({
      resumeWindowMs: 30_000,
      frameLog: new MemoryFrameLog({ maxBytes: 200 }),
    });
    const first = await TestClient.connect(server.url);
    const from = first.frames.length;
    for (const message of ['weather in Paris?', 'hello', 'hello', 'hello']) await first.turn(message);
    const firstDelta = first.frames.slice(from).find((f) => f.type === 'delta')!;
    first.socket.terminate();
    await first.closed;
    // As if it had dropped after the first turn's first delta, and four turns then ended.
    const second = await TestClient.resume(server.url, tokenOf(first), seqOf(firstDelta)!);
    await second.waitFor((f) => f.type === 'result' && seqOf(f) === seqOf(first.frames.at(-1)!));
    const [, gap, ...rest] = second.frames;
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    // Every step the client lacked, as the turns sent them: restated ones without their seq.
    const lacked = first.frames
      .slice(from)
      .filter((f) => f.type !== 'delta')
      .map((f) =>
        f.type === 'result' ? f : (({ seq, ...frame }: ServerFrame & { seq?: number }) => frame)(f),
      );
    expect(rest).toEqual(lacked);
    expect(rest.filter((f) => f.type === 'tool_call')).toHaveLength(1);
  });

  it('a client whose seq is past any the session sent gets resume_gap, the turn in progress whole, and frames numbered past its seq', async () => {
    const server = await startResumingServer();
    const first = await droppedMidReply(server.url);
    const ahead = seqOf(numbered(first).at(-1)!)! + 1_000_000;
    const second = await TestClient.resume(server.url, tokenOf(first), ahead);
    await second.waitFor((f) => f.type === 'result' && f.id === 'c');
    const [ready, gap, ...rest] = second.frames;
    expect(ready).toMatchObject({ type: 'ready', resumed: true });
    expect(gap).toMatchObject({ type: 'error', code: 'resume_gap' });
    // The turn's text whole: a restated delta (or its complete, if it ended meanwhile) and the rest.
    const reply = replyFor('count 2000', [])[0];
    const restated = rest[0]!;
    if (restated.type === 'delta') {
      expect(restated).toMatchObject({ id: 'c', restate: true });
      expect(restated.delta + deltaText(rest.slice(1))).toBe(reply);
    } else {
      expect(restated).toMatchObject({ type: 'complete', id: 'c', text: reply });
    }
    // Every live frame is numbered past the client's seq, so a client that drops what it has seen keeps it.
    const live = rest.filter((f) => seqOf(f) !== undefined).map((f) => seqOf(f)!);
    expect(live.length).toBeGreaterThan(0);
    expect(live.every((seq) => seq > ahead)).toBe(true);
    // The earlier turn, which the client had, is not sent again.
    expect(rest.some((f) => f.type === 'result' && f.id !== 'c')).toBe(false);
  });

  it('MemoryFrameLog keeps at most maxBytes per session and reports the gap', async () => {
    const log = new MemoryFrameLog({ maxBytes: 1_000 });
    for (let seq = 1; seq <= 200; seq++) {
      log.append('s', {
        type: 'delta',
        delta: 'abcdef',
        accumulated: 'x'.repeat(seq * 6),
        generation: 1,
        seq,
      });
    }
    expect(log.bytesOf('s')).toBeLessThanOrEqual(1_000);
    const read = await log.read('s', 0);
    expect(read.gap).toBe(true);
    expect(read.frames.at(-1)!.seq).toBe(200);
    // The log keeps no `accumulated`: it grows with the text, not with its square.
    expect(read.frames.every((f) => f.type === 'delta' && f.accumulated === undefined)).toBe(true);
    const recent = await log.read('s', 195);
    expect(recent).toEqual({ gap: false, frames: recent.frames });
    expect(recent.frames.map((f) => f.seq)).toEqual([196, 197, 198, 199, 200]);
    log.delete('s');
    expect(log.size).toBe(0);
  });
});

describe('resume: options are checked at construction', () => {
  const base = { port: 0, createAgent: () => conversationAgent() };
  it.each([
    [{ resumeWindowMs: -1 }, RangeError, /resumeWindowMs.*-1/],
    [{ resumeWindowMs: 2 ** 31 }, RangeError, /resumeWindowMs/],
    [{ resumeWindowMs: Number.NaN }, RangeError, /resumeWindowMs/],
    [{ maxSessions: 0 }, RangeError, /maxSessions.*0/],
    [{ onDisconnect: 'stop' }, TypeError, /onDisconnect.*"stop"/],
    [{ frameLog: {} }, TypeError, /frameLog/],
    [{ sessionStore: { start: 1 } }, TypeError, /sessionStore/],
    // A shared store with the default, in-process log could not replay another process's frames.
    [
      { sessionStore: new RedisSessionStore({ call: async () => null }) },
      TypeError,
      /frameLog.*sessionStore/,
    ],
  ])('%o is refused', async (bad, type, message) => {
    await expect(createStreamingServer({ ...base, ...(bad as object) })).rejects.toThrow(type);
    await expect(createStreamingServer({ ...base, ...(bad as object) })).rejects.toThrow(message);
  });
  it('MemoryFrameLog refuses a bad maxBytes', () => {
    expect(() => new MemoryFrameLog({ maxBytes: 0 })).toThrow(RangeError);
  });
});
