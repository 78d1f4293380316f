import type { Socket } from 'node:net';
import { voice } from '@livekit/agents';
import { type UIMessage, WebSocketChatTransport } from 'ai';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CHAT_ERRORS, createAISDKChats } from '../src/ai-sdk/index.js';
import { resolveChatOptions } from '../src/ai-sdk/options.js';
import {
  AI_SDK_SKIP_REASON,
  aiSdkUnsupported,
  type Frame,
  NodeChat,
  rawClient,
  resumeFrame,
  SlowWordsLLM,
  sendFrame,
  startChatServer,
  textOf,
  userMessage,
} from './helpers/ai-sdk.js';
import { waitFor } from './helpers/await.js';
import { TestLLM } from './helpers/scripted-llm.js';
import { createAgent } from './helpers/session.js';
import { countWrites } from './helpers/socket-writes.js';

const LONG_REPLY = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
const LONG_WORDS = LONG_REPLY.split(' ').length;

function chatOver(url: string, id = `chat-${Math.random().toString(36).slice(2)}`) {
  const transport = new WebSocketChatTransport<UIMessage>({ url });
  return { chat: new NodeChat({ id, transport }), transport };
}

const assistant = (chat: NodeChat) => chat.all.filter((m) => m.role === 'assistant');

describe.skipIf(aiSdkUnsupported)(
  `WebSocketChatTransport against our server (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Node >= 22'})`,
  () => {
    it('options are checked at construction: TypeError for a wrong type, RangeError out of range', () => {
      expect(() => createAISDKChats({} as never)).toThrow(TypeError);
      expect(() => createAISDKChats({ createAgent: () => createAgent(), maxChats: '3' as never })).toThrow(
        /createAISDKChats: option `maxChats` must be a whole number >= 1; received "3"/,
      );
      expect(() => createAISDKChats({ createAgent: () => createAgent(), maxChats: 0 })).toThrow(RangeError);
      expect(() => createAISDKChats({ createAgent: () => createAgent(), maxChats: 1.5 })).toThrow(RangeError);
      expect(() => createAISDKChats({ createAgent: () => createAgent(), idleTimeoutMs: -1 })).toThrow(
        /option `idleTimeoutMs` must be a whole number from 1 to \d+; received -1/,
      );
      expect(() => createAISDKChats({ createAgent: () => createAgent(), authorize: 1 as never })).toThrow(
        TypeError,
      );
      // The defaults the README states.
      expect(resolveChatOptions({ createAgent: () => createAgent() })).toMatchObject({
        maxChats: 100,
        idleTimeoutMs: 10 * 60_000,
        turnTimeoutMs: 120_000,
        maxPayload: 1024 * 1024,
      });
    });

    it('a plain turn: useChat’s state machine gets the streamed reply as one assistant message', async () => {
      const server = await startChatServer();
      const { chat } = chatOver(server.wsUrl);
      await chat.sendMessage({ text: 'hello' });
      expect(chat.status).toBe('ready');
      expect(assistant(chat)).toHaveLength(1);
      expect(textOf(assistant(chat)[0])).toBe('Hello there! How can I help you today?');
      expect(server.chats.activeChats).toBe(1);
    });

    it('a tool turn: the tool call and its output are a part of the message, between the two generations', async () => {
      const server = await startChatServer();
      const { chat } = chatOver(server.wsUrl);
      await chat.sendMessage({ text: 'weather in Paris?' });
      const message = assistant(chat)[0]!;
      const types = message.parts.map((p) => p.type);
      // Live tool frames: the tool part sits between the two generations, each step marked.
      expect(types).toEqual(['step-start', 'text', 'tool-getWeather', 'step-start', 'text']);
      expect(message.parts.find((p) => p.type === 'tool-getWeather')).toMatchObject({
        state: 'output-available',
        input: { city: 'Paris' },
        output: 'sunny',
      });
      expect(textOf(message)).toBe('Let me check the weather.It is sunny in Paris today.');
    });

    it('the frames: start, chunks numbered from 0 with a start chunk carrying the messageId, end', async () => {
      const server = await startChatServer();
      const client = await rawClient(server.wsUrl);
      client.send(sendFrame('r1', 'c1', [userMessage('u1', 'hello')]));
      await waitFor(() => client.of('r1').some((f) => f.type === 'end'), 'end');
      const frames = client.of('r1');
      expect(frames[0]).toEqual({ type: 'start', requestId: 'r1' });
      expect(frames.at(-1)).toEqual({ type: 'end', requestId: 'r1' });
      const chunks = frames.slice(1, -1);
      expect(chunks.map((f) => f.sequence)).toEqual(chunks.map((_, i) => i));
      expect(chunks[0]!.chunk).toMatchObject({ type: 'start', messageId: expect.stringMatching(/^msg_/) });
      // The turn was read to its end: there is nothing left to resume.
      client.send(resumeFrame('r2', 'c1'));
      await waitFor(() => client.of('r2').length > 0, 'resume answer');
      expect(client.of('r2')).toEqual([{ type: 'no-active', requestId: 'r2' }]);
      client.ws.close();
    });

    it('abort mid-stream stops the agent: no more model output, the turn ends interrupted', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 5);
      const server = await startChatServer({ createLLM: () => llm });
      const { chat } = chatOver(server.wsUrl, 'abort-chat');
      const sending = chat.sendMessage({ text: 'talk' });
      await waitFor(() => textOf(assistant(chat)[0]).split(' ').length > 5, 'some words');
      await chat.stop();
      await sending;
      // The server's record of the turn ends once the run has wound down; read it over the protocol.
      const client = await rawClient(server.wsUrl);
      client.send(resumeFrame('r', 'abort-chat'));
      await waitFor(() => client.of('r').some((f) => f.type === 'end'), 'the interrupted turn to end');
      const chunks = client
        .of('r')
        .filter((f) => f.type === 'chunk')
        .map((f) => f.chunk);
      expect(chunks.at(-2)).toEqual({ type: 'abort', reason: 'interrupted' });
      expect(chunks.at(-1)).toEqual({ type: 'finish', finishReason: 'interrupted' });
      const producedAtEnd = llm.produced;
      expect(producedAtEnd).toBeLessThan(LONG_WORDS);
      // The model was stopped, not left running: a later turn is answered at once.
      llm.produced = 0;
      await chat.sendMessage({ text: 'again' });
      expect(textOf(assistant(chat).at(-1))).toBe(LONG_REPLY);
      client.ws.close();
    });

    it('a socket dropped mid-turn: resume replays the turn, no character lost or doubled', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 3);
      const server = await startChatServer({ createLLM: () => llm });
      const tcp: Socket[] = [];
      server.http.on('connection', (socket) => tcp.push(socket));
      const { chat } = chatOver(server.wsUrl);
      const sending = chat.sendMessage({ text: 'talk' });
      await waitFor(() => textOf(assistant(chat)[0]).split(' ').length > 10, 'some words');
      for (const socket of tcp) socket.destroy(); // the network goes, no close frame
      await sending;
      expect(chat.status).toBe('error');
      const partial = textOf(assistant(chat)[0]);
      expect(partial.length).toBeLessThan(LONG_REPLY.length);
      await chat.resumeStream();
      expect(chat.status).toBe('ready');
      expect(assistant(chat)).toHaveLength(1);
      expect(textOf(assistant(chat)[0])).toBe(LONG_REPLY);
    });

    it('resume replays from sequence 0 with the same messageId, then goes on live', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 3);
      const server = await startChatServer({ createLLM: () => llm });
      const first = await rawClient(server.wsUrl);
      first.send(sendFrame('s', 'c', [userMessage('u', 'talk')]));
      await waitFor(() => first.of('s').length > 10, 'some chunks');
      first.ws.terminate();
      const second = await rawClient(server.wsUrl);
      second.send(resumeFrame('r', 'c'));
      await waitFor(() => second.of('r').some((f) => f.type === 'end'), 'end');
      const sent = first.of('s').filter((f) => f.type === 'chunk');
      const replayed = second.of('r').filter((f) => f.type === 'chunk');
      expect(replayed.map((f) => f.sequence)).toEqual(replayed.map((_, i) => i));
      expect(replayed[0]!.chunk).toEqual(sent[0]!.chunk);
      const strip = (f: Frame) => ({ sequence: f.sequence, chunk: f.chunk });
      expect(replayed.slice(0, sent.length).map(strip)).toEqual(sent.map(strip));
      const text = replayed.map((f) => (f.chunk?.type === 'text-delta' ? f.chunk.delta : '')).join('');
      expect(text).toBe(LONG_REPLY);
      second.ws.close();
    });

    it('a resume replays what it missed in a few socket writes, not one per chunk', async () => {
      // 80 words at once, then nothing until the test lets the rest go: the replay is all there is.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const words = LONG_REPLY.split(' ').map((w, i, all) => (i < all.length - 1 ? `${w} ` : w));
      const llm = new TestLLM(async (_message, put) => {
        for (const word of words.slice(0, 80)) put(word);
        await gate;
        for (const word of words.slice(80)) put(word);
      });
      const server = await startChatServer({ createLLM: () => llm });
      const first = await rawClient(server.wsUrl);
      first.send(sendFrame('s', 'c', [userMessage('u', 'talk')]));
      await waitFor(
        () => first.of('s').filter((f) => f.chunk?.type === 'text-delta').length >= 80,
        '80 words',
      );
      first.ws.terminate();
      let writes: { readonly count: number } | undefined;
      server.http.prependListener('upgrade', (_request, socket: Socket) => {
        writes = countWrites(socket);
      });
      const second = await rawClient(server.wsUrl);
      const before = writes!.count;
      second.send(resumeFrame('r', 'c'));
      await waitFor(
        () => second.of('r').filter((f) => f.chunk?.type === 'text-delta').length >= 80,
        'the replay',
      );
      const replayed = second.of('r').length;
      const used = writes!.count - before;
      console.log(`ai-sdk resume: ${replayed} frames replayed in ${used} socket writes`);
      expect(used).toBeLessThan(replayed / 4);
      release();
      await waitFor(() => second.of('r').some((f) => f.type === 'end'), 'end');
      const text = second
        .of('r')
        .map((f) => (f.chunk?.type === 'text-delta' ? f.chunk.delta : ''))
        .join('');
      expect(text).toBe(LONG_REPLY);
      second.ws.close();
    });

    it('resume with nothing active answers no-active; useChat keeps its messages', async () => {
      const server = await startChatServer();
      const { chat } = chatOver(server.wsUrl);
      await chat.resumeStream();
      expect(chat.all).toEqual([]);
      expect(chat.status).toBe('ready');
    });

    it('one AgentSession per chat id, reused across sockets: the agent remembers the first turn', async () => {
      const llm = new SlowWordsLLM((text) => `you said ${text}`, 0);
      const server = await startChatServer({ createLLM: () => llm });
      const a = chatOver(server.wsUrl, 'shared');
      await a.chat.sendMessage({ text: 'one' });
      a.transport.close();
      const b = new NodeChat({
        id: 'shared',
        messages: a.chat.all,
        transport: new WebSocketChatTransport<UIMessage>({ url: server.wsUrl }),
      });
      await b.sendMessage({ text: 'two' });
      expect(server.chats.activeChats).toBe(1);
      const seen = llm.contexts.at(-1)!.filter((i) => i.type === 'message');
      expect(seen.map((i) => `${i.role}:${i.text}`)).toEqual(
        expect.arrayContaining(['user:one', 'assistant:you said one', 'user:two']),
      );
      // Reused, not restored: each message is in the context once.
      expect(seen.filter((i) => i.text === 'one')).toHaveLength(1);
    });

    it('a chat id this process has no session for: its context is restored from the messages sent', async () => {
      const llm = new SlowWordsLLM(() => 'ok', 0);
      const server = await startChatServer({ createLLM: () => llm });
      const history: UIMessage[] = [
        userMessage('u1', 'weather in Paris?'),
        {
          id: 'a1',
          role: 'assistant',
          parts: [
            { type: 'step-start' },
            { type: 'text', text: 'Let me check.' },
            {
              type: 'tool-getWeather',
              toolCallId: 'call_1',
              state: 'output-available',
              input: { city: 'Paris' },
              output: 'sunny',
            },
            { type: 'text', text: 'It is sunny.' },
          ],
        },
      ];
      const chat = new NodeChat({
        id: 'from-elsewhere',
        messages: history,
        transport: new WebSocketChatTransport<UIMessage>({ url: server.wsUrl }),
      });
      await chat.sendMessage({ text: 'and tomorrow?' });
      // Instructions (system) and the framework's config record are its own; the rest is the restored chat.
      const seen = llm.contexts[0]!.filter(
        (i) => i.type !== 'agent_config_update' && (i.type !== 'message' || i.role !== 'system'),
      );
      expect(seen).toEqual([
        { type: 'message', role: 'user', text: 'weather in Paris?' },
        { type: 'message', role: 'assistant', text: 'Let me check.' },
        { type: 'function_call', name: 'getWeather', text: '{"city":"Paris"}' },
        { type: 'function_call_output', name: 'getWeather', text: '"sunny"' },
        { type: 'message', role: 'assistant', text: 'It is sunny.' },
        { type: 'message', role: 'user', text: 'and tomorrow?' },
      ]);
    });

    it('maxChats: a new chat closes the least recently used idle one; when all are answering it is refused', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 5);
      const server = await startChatServer({ maxChats: 1, createLLM: () => llm });
      const a = chatOver(server.wsUrl, 'a');
      const sendingA = a.chat.sendMessage({ text: 'talk' });
      await waitFor(() => assistant(a.chat).length === 1, 'a streaming');
      const b = chatOver(server.wsUrl, 'b');
      await b.chat.sendMessage({ text: 'talk' });
      expect(b.chat.status).toBe('error');
      expect(b.chat.error?.message).toBe(CHAT_ERRORS.tooManyChats);
      await sendingA;
      b.chat.clearError();
      await b.chat.sendMessage({ text: 'talk' });
      expect(textOf(assistant(b.chat).at(-1))).toBe(LONG_REPLY);
      expect(server.chats.activeChats).toBe(1);
    });

    it('idleTimeoutMs: a chat unused that long has its session closed', async () => {
      const closed: string[] = [];
      const server = await startChatServer({
        idleTimeoutMs: 50,
        sessionOptions: () => ({}),
        createLLM: () => new voice.testing.FakeLLM([{ input: 'hello', content: 'Hi.' }]),
        onError: (error, where) => closed.push(`${where}: ${String(error)}`),
      });
      const { chat } = chatOver(server.wsUrl);
      await chat.sendMessage({ text: 'hello' });
      expect(server.chats.activeChats).toBe(1);
      await waitFor(() => server.chats.activeChats === 0, 'the idle chat to close');
      expect(closed).toEqual([]);
    });

    it('a busy chat: a second send while a turn runs gets a clear error, the first goes on', async () => {
      const llm = new SlowWordsLLM(() => LONG_REPLY, 3);
      const server = await startChatServer({ createLLM: () => llm });
      const client = await rawClient(server.wsUrl);
      client.send(sendFrame('s1', 'c', [userMessage('u1', 'talk')]));
      await waitFor(() => client.of('s1').length > 3, 'first streaming');
      client.send(sendFrame('s2', 'c', [userMessage('u1', 'talk'), userMessage('u2', 'more')]));
      await waitFor(() => client.of('s2').length > 0, 'second answered');
      expect(client.of('s2')).toEqual([{ type: 'error', requestId: 's2', errorText: CHAT_ERRORS.busy }]);
      await waitFor(() => client.of('s1').some((f) => f.type === 'end'), 'first ended');
      client.ws.close();
    });

    it('invalid frames: a request the ai validator rejects gets an error; garbage closes the socket (1003)', async () => {
      const server = await startChatServer();
      const client = await rawClient(server.wsUrl);
      client.send({ type: 'send', requestId: 'bad', id: 'c', trigger: 'submit-message', messages: 'no' });
      await waitFor(() => client.of('bad').length > 0, 'error');
      expect(client.of('bad')[0]).toMatchObject({ type: 'error', errorText: expect.any(String) });
      client.ws.send('not json');
      expect(await client.closed).toBe(1003);
    });

    it('allowedOrigins refuses other pages with 403; authorize refuses other users’ chats', async () => {
      const server = await startChatServer({
        allowedOrigins: ['http://good.example'],
        authorize: (_request, chatId) => chatId.startsWith('mine-'),
      });
      const refused = new WebSocket(server.wsUrl, { origin: 'http://evil.example' });
      const status = await new Promise<number | undefined>((resolve) =>
        refused.once('unexpected-response', (_req, res) => resolve(res.statusCode)),
      );
      expect(status).toBe(403);
      const ws = new WebSocket(server.wsUrl, { origin: 'http://good.example' });
      const frames: Frame[] = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify(sendFrame('r', 'theirs-1', [userMessage('u', 'hello')])));
      await waitFor(() => frames.length > 0, 'answer');
      expect(frames[0]).toEqual({ type: 'error', requestId: 'r', errorText: CHAT_ERRORS.forbidden });
      expect(server.chats.activeChats).toBe(0);
      ws.close();
    });
  },
);
