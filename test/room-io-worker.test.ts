import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate as immediate } from 'node:timers/promises';
import { tokenize, type voice } from '@livekit/agents';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../examples/worker.js';
import { STANDARD_SPEECH_RATE } from '../src/timing/spoken-pacer.js';
import { ENTRYPOINT_SHUTDOWN_TIMEOUT_MS, startFakeJob } from './helpers/fake-job.js';
import { createFakeRoom } from './helpers/fake-room.js';
import { type RealtimeTurn, startOpenAIRealtimeServer } from './helpers/openai-realtime-server.js';

/** A reply long enough to interrupt: about a second a word at the framework's speech rate. */
const LONG =
  'Extraordinary conversations happen unexpectedly whenever curious travellers communicate enthusiastically about unforgettable adventures.';
const SCRIPT: RealtimeTurn[] = [
  { input: 'hello', content: 'Hello there! How can I help you today?' },
  { input: 'tell me a story', content: LONG },
];

const until = (check: () => void) => vi.waitFor(check, { timeout: 20_000, interval: 10 });

/** Each word's length in ms by the framework's own estimate (syllables at its speech rate). */
function wordMs(word: string): number {
  let syllables = 0;
  for (const [w] of tokenize.basic.splitWords(word)) syllables += tokenize.basic.hyphenateWord(w).length;
  return (syllables / STANDARD_SPEECH_RATE) * 1000;
}

/** The spoken deltas of one generation, as the example logs them (`[spoken #2] +"word"`). */
function spokenDeltas(generation: number): string[] {
  const prefix = `[spoken #${generation}] +`;
  return vi
    .mocked(console.log)
    .mock.calls.flatMap(([line]) =>
      typeof line === 'string' && line.startsWith(prefix)
        ? [JSON.parse(line.slice(prefix.length)) as string]
        : [],
    );
}

/** The example's backend: what it POSTs to TRANSCRIPT_WEBHOOK_URL, one finished generation each. */
async function startWebhook() {
  const posts: { timing: string; text: string; generation: number; interrupted?: boolean }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      posts.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/transcripts`,
    posts,
    texts: (timing: string) => posts.filter((p) => p.timing === timing),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ENV = ['OPENAI_BASE_URL', 'OPENAI_API_KEY', 'TRANSCRIPT_WEBHOOK_URL'] as const;
let savedEnv: Record<string, string | undefined> = {};
const cleanups: (() => Promise<void>)[] = [];
beforeEach(() => {
  savedEnv = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  vi.spyOn(console, 'log').mockImplementation(() => {});
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const k of ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  vi.restoreAllMocks();
});

/** examples/worker.ts, as a job in a fake room, its realtime model talking to a loopback server. */
async function runExample() {
  const model = await startOpenAIRealtimeServer(SCRIPT);
  const webhook = await startWebhook();
  cleanups.push(model.close, webhook.close);
  process.env.OPENAI_BASE_URL = model.baseURL;
  process.env.OPENAI_API_KEY = 'test-key';
  process.env.TRANSCRIPT_WEBHOOK_URL = webhook.url;
  const fake = createFakeRoom();
  const job = startFakeJob(worker, fake.room);
  cleanups.push(async () => {
    await job.session()?.close();
  });
  await until(() => expect(job.session()?.agentState).toBe('listening'));
  for (let i = 0; i < 5; i++) await immediate();
  return { model, webhook, fake, job, session: job.session() as voice.AgentSession };
}

describe('examples/worker.ts', () => {
  it('loads as an agent definition without starting a worker (the CLI runs only when it is the main module)', () => {
    expect(typeof worker.entry).toBe('function');
  });

  it('as a job: entry returns once the session is started, and the job shuts down with no "did not exit in time", its readers ended', async () => {
    const { job, session, webhook } = await runExample();
    await session.run({ userInput: 'hello' }).wait();
    const hello = 'Hello there! How can I help you today?';
    await until(() => expect(webhook.texts('spoken').map((p) => p.text)).toEqual([hello]));

    // entry returned without waiting for the job to end: nothing for the framework to wait for.
    const returnedBeforeShutdown = job.entryReturned();
    const report = await job.shutdown();
    expect(report.problems).not.toContain('entrypoint did not exit in time; proceeding with session cleanup');
    expect(report.problems).toEqual([]);
    // The framework's stall would be 15 s; the readers end as soon as the session closes.
    expect(report.entryWaitMs).toBeLessThan(ENTRYPOINT_SHUTDOWN_TIMEOUT_MS);
    expect(report.closeToCallbacksDoneMs).toBeLessThan(ENTRYPOINT_SHUTDOWN_TIMEOUT_MS);
    expect(returnedBeforeShutdown).toBe(true);
    // Shutdown callbacks done means both reader loops ended; every generation reached the backend.
    expect(webhook.posts.map((p) => [p.timing, p.text])).toEqual([
      ['generated', hello],
      ['spoken', hello],
    ]);
  }, 60_000);

  it('as a job, against the realtime protocol: generated and spoken text of a turn, and of an interrupted one as the chat history records it', async () => {
    const { session, webhook, model } = await runExample();
    await session.run({ userInput: 'hello' }).wait();
    const hello = 'Hello there! How can I help you today?';
    await until(() => expect(webhook.texts('spoken')).toHaveLength(1));

    const run = session.run({ userInput: 'tell me a story' });
    await until(() => expect(webhook.texts('generated')).toHaveLength(2));
    // Into the speech, then the user cuts in: in the middle of the third word, as the example logs it.
    await until(() => expect(spokenDeltas(2)).toHaveLength(2));
    await new Promise((resolve) => setTimeout(resolve, wordMs(LONG.split(' ')[2]!) / 2));
    await session.interrupt().await;
    await run.wait().catch(() => undefined);
    await until(() => expect(webhook.texts('spoken')).toHaveLength(2));
    const history = session.history.items.flatMap((i) =>
      i.type === 'message' && i.role === 'assistant'
        ? [{ text: i.textContent, interrupted: i.interrupted }]
        : [],
    );

    expect(webhook.texts('generated').map((p) => [p.text, p.interrupted])).toEqual([
      [hello, undefined],
      [LONG, undefined],
    ]);
    const cut = webhook.texts('spoken')[1]!;
    expect(history).toEqual([
      { text: hello, interrupted: false },
      { text: cut.text, interrupted: true },
    ]);
    expect(cut).toMatchObject({ generation: 2, interrupted: true });
    expect(cut.text.length).toBeGreaterThan(0);
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeLessThan(LONG.length);
    expect(spokenDeltas(2).join('')).toBe(cut.text);
    // The plugin told the model where its audio was cut.
    expect(model.log.truncations).toHaveLength(1);
  }, 60_000);
});
