import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type ChatTransport, DefaultChatTransport, type UIMessage, WebSocketChatTransport } from 'ai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAISDKChats } from '../src/ai-sdk/index.js';
import { ERROR_CODES } from '../src/protocol/frames.js';
import { AI_SDK_SKIP_REASON, aiSdkUnsupported, NodeChat, textOf } from './helpers/ai-sdk.js';
import { waitFor } from './helpers/await.js';
import { conversationAgent, replyFor } from './helpers/conversation-llm.js';
import { type RedisProcess, startRedis } from './helpers/redis.js';

let redis: RedisProcess | undefined;
const children: ChildProcess[] = [];

beforeAll(async () => {
  if (!aiSdkUnsupported) redis = await startRedis();
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(async () => {
  await redis?.stop();
});

/** A real AI SDK chat server process (tsx) on the shared Redis; resolves with its endpoints. */
async function serverProcess(prefix: string): Promise<{ api: string; wsUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/ai-sdk-redis-server.ts'], {
    env: { ...process.env, REDIS_URL: redis!.url, PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const { api, wsUrl } = await new Promise<{ api: string; wsUrl: string }>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as { api: string; wsUrl: string }));
    child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
  });
  return { api, wsUrl, child };
}

const sockets: WebSocketChatTransport<UIMessage>[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});
const chatOn = (api: string, id: string, messages: UIMessage[] = [], transport?: ChatTransport<UIMessage>) =>
  new NodeChat({ id, messages, transport: transport ?? new DefaultChatTransport<UIMessage>({ api }) });
const socketTo = (url: string) => {
  const transport = new WebSocketChatTransport<UIMessage>({ url });
  sockets.push(transport);
  return transport;
};
const lastAssistant = (chat: NodeChat) => chat.all.filter((m) => m.role === 'assistant').at(-1);
/** The chat as a reloaded page has it: its history up to the message being answered. */
const history = (chat: NodeChat) => structuredClone(chat.all.slice(0, -1));
const LONG = replyFor('count 100000', [])[0]!;

describe.skipIf(aiSdkUnsupported)(
  `useChat across two AI SDK server processes on one Redis (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Node >= 22'})`,
  () => {
    it('the holder is killed mid-reply: a resume on the other process gets what was published, then an error for the cut turn; the next message is answered with the chat remembered', async () => {
      const [a, b] = await Promise.all([serverProcess('kill:'), serverProcess('kill:')]);
      const chat = chatOn(a.api, 'cut');
      await chat.sendMessage({ text: 'remember apple' });
      expect(textOf(lastAssistant(chat))).toBe('Noted apple.');
      const long = chat.sendMessage({ text: 'count 100000' }).catch(() => undefined);
      await waitFor(() => textOf(lastAssistant(chat)).includes('w50 '), 'the long reply under way', 30_000);
      a.child.kill('SIGKILL');
      await long;
      const seenOnA = textOf(lastAssistant(chat));

      // The page reloads on B: its history, then the resume of the running reply.
      const reloaded = chatOn(b.api, 'cut', history(chat));
      await reloaded.resumeStream();
      const cut = lastAssistant(reloaded)!;
      const replayed = textOf(cut);
      // What A published, from the start of the reply: at least what A's own client had read.
      expect(replayed.length).toBeGreaterThanOrEqual(seenOnA.length);
      expect(LONG.startsWith(replayed)).toBe(true);
      expect(replayed.length).toBeLessThan(LONG.length);
      // Then a clear error for the cut turn.
      expect(reloaded.status).toBe('error');
      expect(reloaded.error?.message).toBe(ERROR_CODES.turn_lost);
      // Said once: nothing is running in this chat any more.
      expect((await fetch(`${b.api}/cut/stream`)).status).toBe(204);

      // The next message, to B: answered with the chat remembered.
      await reloaded.sendMessage({ text: 'recall' });
      expect(reloaded.status).toBe('ready');
      expect(textOf(lastAssistant(reloaded))).toBe('You asked me to remember apple.');
    }, 90_000);

    for (const over of ['HTTP', 'WebSocket'] as const) {
      it(`${over}: a resume on the other process while the holder lives replays the running reply and goes on live to its end`, async () => {
        const [a, b] = await Promise.all([serverProcess(`live-${over}:`), serverProcess(`live-${over}:`)]);
        const chat = chatOn(a.api, 'live');
        const long = chat.sendMessage({ text: 'count 100000' });
        await waitFor(() => textOf(lastAssistant(chat)).includes('w50 '), 'the long reply under way', 30_000);

        const transport = over === 'WebSocket' ? socketTo(b.wsUrl) : undefined;
        const reader = chatOn(b.api, 'live', history(chat), transport);
        const resumed = reader.resumeStream();
        await waitFor(() => textOf(lastAssistant(reader)).includes('w100 '), 'the replay on B', 30_000);
        // Stopped on A after B has started reading: B's copy can only end by following A live.
        expect((await fetch(`${a.api}/live/stop`, { method: 'POST' })).status).toBe(204);
        await Promise.all([long, resumed]);
        expect(reader.status).toBe('ready');
        expect(reader.error).toBeUndefined();
        const onA = textOf(lastAssistant(chat));
        expect(textOf(lastAssistant(reader))).toBe(onA);
        expect(lastAssistant(reader)!.id).toBe(lastAssistant(chat)!.id);
        expect(LONG.startsWith(onA)).toBe(true);
      }, 90_000);
    }

    it('sessionStore without a shared frameLog is refused at construction, naming frameLog', () => {
      const store = { processId: 'x', leaseMs: 1 } as Record<string, unknown>;
      for (const m of [
        'start',
        'stop',
        'register',
        'find',
        'isAlive',
        'requestTakeover',
        'release',
        'expire',
      ])
        store[m] = () => undefined;
      for (const m of ['record', 'conversation', 'forget']) store[m] = () => undefined;
      expect(() =>
        createAISDKChats({ createAgent: () => conversationAgent(), sessionStore: store as never }),
      ).toThrow(/frameLog/);
      expect(() =>
        createAISDKChats({ createAgent: () => conversationAgent(), frameLog: {} as never }),
      ).toThrow(/frameLog/);
    });
  },
);
