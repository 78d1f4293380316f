import { DefaultChatTransport, type UIMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import { UI_MESSAGE_STREAM_HEADERS } from '../src/ai-sdk/http.js';
import { CHAT_ERRORS } from '../src/ai-sdk/index.js';
import {
  AI_SDK_SKIP_REASON,
  aiSdkUnsupported,
  NodeChat,
  SlowWordsLLM,
  startChatServer,
  textOf,
  userMessage,
} from './helpers/ai-sdk.js';
import { waitFor } from './helpers/await.js';

const LONG_REPLY = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
const assistant = (chat: NodeChat) => chat.all.filter((m) => m.role === 'assistant');

function chatOver(api: string, id = `chat-${Math.random().toString(36).slice(2)}`) {
  return new NodeChat({ id, transport: new DefaultChatTransport<UIMessage>({ api }) });
}

const post = (api: string, body: object, signal?: AbortSignal) =>
  fetch(api, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

/** Reads an SSE body until `until` is seen in it, or its end. */
async function readUntil(response: Response, until?: string): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
    if (until !== undefined && text.includes(until)) {
      await reader.cancel();
      return text;
    }
  }
}

describe.skipIf(aiSdkUnsupported)(
  `DefaultChatTransport against our handler (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Node >= 22'})`,
  () => {
    it('a plain turn over POST /api/chat', async () => {
      const server = await startChatServer();
      const chat = chatOver(server.api);
      await chat.sendMessage({ text: 'hello' });
      expect(chat.status).toBe('ready');
      expect(textOf(assistant(chat)[0])).toBe('Hello there! How can I help you today?');
    });

    it('a tool turn: the tool part is in the message', async () => {
      const server = await startChatServer();
      const chat = chatOver(server.api);
      await chat.sendMessage({ text: 'weather in Paris?' });
      expect(assistant(chat)[0]!.parts.map((p) => p.type)).toEqual([
        'step-start',
        'text',
        'tool-getWeather',
        'step-start',
        'text',
      ]);
      expect(assistant(chat)[0]!.parts.find((p) => p.type === 'tool-getWeather')).toMatchObject({
        state: 'output-available',
        output: 'sunny',
      });
    });

    it('the response: the AI SDK’s headers, data: <json> per chunk, data: [DONE] at the end', async () => {
      const server = await startChatServer();
      const response = await post(server.api, {
        id: 'c',
        trigger: 'submit-message',
        messages: [userMessage('u', 'hello')],
      });
      expect(response.status).toBe(200);
      for (const [name, value] of Object.entries(UI_MESSAGE_STREAM_HEADERS)) {
        expect(response.headers.get(name)).toBe(value);
      }
      const body = await response.text();
      const events = body.split('\n\n').filter((e) => e !== '');
      expect(events.every((e) => e.startsWith('data: '))).toBe(true);
      expect(events.at(-1)).toBe('data: [DONE]');
      expect(JSON.parse(events[0]!.slice(6))).toMatchObject({ type: 'start' });
      expect(JSON.parse(events.at(-2)!.slice(6))).toEqual({ type: 'finish', finishReason: 'stop' });
    });

    it('GET /api/chat/:id/stream: 204 with nothing running; mid-turn it replays from the start, then live', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 3);
      const server = await startChatServer({ createLLM: () => llm });
      expect((await fetch(`${server.api}/nobody/stream`)).status).toBe(204);
      const chat = chatOver(server.api, 'resumable');
      const sending = chat.sendMessage({ text: 'talk' });
      await waitFor(() => textOf(assistant(chat)[0]).split(' ').length > 5, 'some words');
      const reader = chatOver(server.api, 'resumable');
      await reader.resumeStream();
      expect(textOf(assistant(reader)[0])).toBe(LONG_REPLY);
      expect(assistant(reader)[0]!.id).toBe(assistant(chat)[0]!.id);
      await sending;
      expect((await fetch(`${server.api}/resumable/stream`)).status).toBe(204);
    });

    it('a reply longer than the log holds (past its 256 KiB): a resume from its start mid-reply still gets all of it, no error', async () => {
      // ~600 KiB of text: the default log's byte bound drops the turn's start while it runs.
      const huge = Array.from({ length: 6_000 }, (_, i) => `${'w'.repeat(100)}${i}`).join(' ');
      const llm = new SlowWordsLLM(() => huge, 0);
      const server = await startChatServer({ createLLM: () => llm });
      const chat = chatOver(server.api, 'huge');
      const sending = chat.sendMessage({ text: 'talk' });
      // Past the bound: the log no longer holds the reply's first frames.
      await waitFor(
        () => textOf(assistant(chat)[0]).length > 300 * 1024,
        'over 300 KiB of the reply',
        60_000,
      );
      const reader = chatOver(server.api, 'huge');
      await reader.resumeStream();
      await sending;
      expect(reader.error).toBeUndefined();
      expect(textOf(assistant(reader)[0])).toBe(huge);
      expect(textOf(assistant(chat)[0])).toBe(huge);
    });

    it('a client that disconnects mid-stream: the turn runs out, the session is closed when idle, nothing leaks', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 2);
      const server = await startChatServer({ createLLM: () => llm, idleTimeoutMs: 100 });
      const controller = new AbortController();
      const response = await post(
        server.api,
        { id: 'leaver', trigger: 'submit-message', messages: [userMessage('u', 'talk')] },
        controller.signal,
      );
      await readUntil(response, 'word3');
      controller.abort();
      // Leaving is not stopping: the turn completes for a later resume...
      const replay = await fetch(`${server.api}/leaver/stream`);
      const text = await replay.text();
      expect(text).toContain('"finishReason":"stop"');
      // ...and the idle chat's session is then closed.
      await waitFor(() => server.chats.activeChats === 0, 'the idle chat to close');
    });

    it('POST /api/chat/:id/stop stops the agent (useChat’s stop() only closes its request)', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 5);
      const server = await startChatServer({ createLLM: () => llm });
      const chat = chatOver(server.api, 'stoppable');
      const sending = chat.sendMessage({ text: 'talk' });
      await waitFor(() => textOf(assistant(chat)[0]).split(' ').length > 5, 'some words');
      const stopped = await fetch(`${server.api}/stoppable/stop`, { method: 'POST' });
      expect(stopped.status).toBe(204);
      await sending;
      expect(assistant(chat)).toHaveLength(1);
      expect(textOf(assistant(chat)[0]).length).toBeLessThan(LONG_REPLY.length);
      expect(llm.produced).toBeLessThan(LONG_REPLY.split(' ').length);
      expect((await fetch(`${server.api}/stoppable/stop`, { method: 'POST' })).status).toBe(404);
    });

    it('bad requests: invalid JSON 400, invalid messages 400, too large 413, an unknown trigger 400 with its reason', async () => {
      const server = await startChatServer({ maxPayload: 2048 });
      const bad = await fetch(server.api, { method: 'POST', body: '{nope' });
      expect(bad.status).toBe(400);
      expect((await post(server.api, { id: 'c', messages: [{ role: 'user' }] })).status).toBe(400);
      const large = await post(server.api, { id: 'c', messages: [userMessage('u', 'x'.repeat(4096))] });
      expect(large.status).toBe(413);
      const unknown = await post(server.api, {
        id: 'c',
        trigger: 'edit-message',
        messages: [userMessage('u', 'hello')],
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toBe(CHAT_ERRORS.trigger);
      expect(server.chats.activeChats).toBe(0);
      // Not ours: left to the app.
      expect((await fetch(`${server.api}/c/other`)).status).toBe(404);
    });
  },
);
