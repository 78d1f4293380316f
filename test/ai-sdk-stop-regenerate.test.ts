import { llm, voice } from '@livekit/agents';
import { DefaultChatTransport, type UIMessage, WebSocketChatTransport } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHAT_ERRORS } from '../src/ai-sdk/index.js';
import {
  AI_SDK_SKIP_REASON,
  aiSdkUnsupported,
  type Frame,
  NodeChat,
  rawClient,
  SlowWordsLLM,
  sendFrame,
  startChatServer,
  textOf,
  userMessage,
} from './helpers/ai-sdk.js';
import { waitFor } from './helpers/await.js';

const LONG_REPLY = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
const LONG_WORDS = 200;
const assistant = (chat: NodeChat) => chat.all.filter((m) => m.role === 'assistant');
const newId = () => `chat-${Math.random().toString(36).slice(2)}`;

/**
 * An agent whose tool runs until the turn is stopped (or, should the framework not cancel it, a
 * moment later), and a script: a tool turn, then a plain answer to "next".
 */
function slowToolAgent() {
  let started!: () => void;
  const toolStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const createAgent = () =>
    new voice.Agent({
      instructions: 'You are a helpful assistant.',
      tools: {
        slowLookup: llm.tool({
          description: 'Looks something up, slowly',
          parameters: z.object({}),
          execute: async (_args, { abortSignal }) => {
            started();
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 500);
              abortSignal?.addEventListener('abort', () => {
                clearTimeout(timer);
                resolve();
              });
            });
            return 'found';
          },
        }),
      },
    });
  const script = [
    { input: 'look it up', content: 'Looking.', toolCalls: [{ name: 'slowLookup', args: {} }] },
    { input: '"found"', content: 'Found it.' },
    { input: 'next', content: 'Here is the next answer.' },
  ];
  return { createAgent, createLLM: () => new voice.testing.FakeLLM(script), toolStarted };
}

const isOver = (frames: Frame[]) => frames.some((f) => f.type === 'end' || f.type === 'error');

describe.skipIf(aiSdkUnsupported)(
  `stop, then send; regenerate; abort right behind send; a burst of new chats (${aiSdkUnsupported ? AI_SDK_SKIP_REASON : 'Node >= 22'})`,
  () => {
    it('WebSocket: stop() during a tool, then a message sent at once, is answered (it waits, not "busy")', async () => {
      const agent = slowToolAgent();
      const server = await startChatServer({ createAgent: agent.createAgent, createLLM: agent.createLLM });
      const chat = new NodeChat({
        id: newId(),
        transport: new WebSocketChatTransport<UIMessage>({ url: server.wsUrl }),
      });
      const first = chat.sendMessage({ text: 'look it up' });
      await agent.toolStarted;
      await chat.stop();
      await first;
      await chat.sendMessage({ text: 'next' });
      expect(chat.error?.message).toBeUndefined();
      expect(chat.status).toBe('ready');
      expect(textOf(assistant(chat).at(-1))).toBe('Here is the next answer.');
    });

    it("HTTP: the README's stopBoth during a tool, then a message sent at once, is answered", async () => {
      const agent = slowToolAgent();
      const server = await startChatServer({ createAgent: agent.createAgent, createLLM: agent.createLLM });
      const id = newId();
      const chat = new NodeChat({ id, transport: new DefaultChatTransport<UIMessage>({ api: server.api }) });
      const stop = () => chat.stop();
      // The README's snippet, with the page's relative URL made absolute for Node's fetch.
      const stopBoth = () => {
        void fetch(`${server.api}/${encodeURIComponent(id)}/stop`, { method: 'POST' });
        void stop();
      };
      const first = chat.sendMessage({ text: 'look it up' });
      await agent.toolStarted;
      // Stop, then send in the same tick: the stop request and the message race to the server.
      stopBoth();
      await Promise.all([first, chat.sendMessage({ text: 'next' })]);
      expect(chat.error?.message).toBeUndefined();
      expect(chat.status).toBe('ready');
      expect(textOf(assistant(chat).at(-1))).toBe('Here is the next answer.');
    });

    it("HTTP: useChat's stop() alone (no stop request), then a message at once: the message ends the stopped turn and is answered", async () => {
      // The stop request of stopBoth can reach the server after the message (two connections):
      // the message itself says the client is done with the running turn, as it carries that
      // turn's (partial) assistant message.
      const agent = slowToolAgent();
      const server = await startChatServer({ createAgent: agent.createAgent, createLLM: agent.createLLM });
      const chat = new NodeChat({
        id: newId(),
        transport: new DefaultChatTransport<UIMessage>({ api: server.api }),
      });
      const first = chat.sendMessage({ text: 'look it up' });
      await agent.toolStarted;
      await waitFor(() => assistant(chat).length === 1, 'the assistant message to start');
      void chat.stop();
      await Promise.all([first, chat.sendMessage({ text: 'next' })]);
      expect(chat.error?.message).toBeUndefined();
      expect(textOf(assistant(chat).at(-1))).toBe('Here is the next answer.');
    });

    for (const transport of ['WebSocket', 'HTTP'] as const) {
      it(`${transport}: regenerate() replaces the last answer, and the agent's context holds only the new one`, async () => {
        let n = 0;
        const model = new SlowWordsLLM((text) => `answer ${++n} to ${text}`, 0);
        const server = await startChatServer({ createLLM: () => model });
        const chat = new NodeChat({
          id: newId(),
          transport:
            transport === 'WebSocket'
              ? new WebSocketChatTransport<UIMessage>({ url: server.wsUrl })
              : new DefaultChatTransport<UIMessage>({ api: server.api }),
        });
        const said = (i: number) =>
          model.contexts[i]!.filter((item) => item.type === 'message' && item.role !== 'system').map(
            (item) => `${item.role}:${item.text}`,
          );
        await chat.sendMessage({ text: 'one' });
        expect(textOf(assistant(chat)[0])).toBe('answer 1 to one');

        await chat.regenerate();
        expect(chat.error?.message).toBeUndefined();
        expect(assistant(chat).map(textOf)).toEqual(['answer 2 to one']);
        // The model answered "one" again with the replaced answer gone, the user message once.
        expect(said(1)).toEqual(['user:one']);

        await chat.sendMessage({ text: 'two' });
        expect(said(2)).toEqual(['user:one', 'assistant:answer 2 to one', 'user:two']);

        // With a messageId: regenerate the first answer; everything after it goes too.
        await chat.regenerate({ messageId: assistant(chat)[0]!.id });
        expect(chat.status).toBe('ready');
        expect(assistant(chat).map(textOf)).toEqual(['answer 4 to one']);
        expect(said(3)).toEqual(['user:one']);
        await chat.sendMessage({ text: 'three' });
        expect(said(4)).toEqual(['user:one', 'assistant:answer 4 to one', 'user:three']);
      });
    }

    it('WebSocket: an abort right behind its send stops the agent, and the chat takes the next message', async () => {
      const model = new SlowWordsLLM((text) => (text === 'talk' ? LONG_REPLY : 'ok'), 5);
      const server = await startChatServer({ createLLM: () => model });
      const client = await rawClient(server.wsUrl);
      client.send(sendFrame('r1', 'c', [userMessage('u1', 'talk')]));
      client.send({ type: 'abort', requestId: 'r1' });
      client.send(sendFrame('r2', 'c', [userMessage('u1', 'talk'), userMessage('u2', 'again')]));
      await waitFor(() => isOver(client.of('r2')), 'the second message to be answered');
      expect(client.of('r2').filter((f) => f.type === 'error')).toEqual([]);
      const text = client
        .of('r2')
        .map((f) => (f.chunk?.type === 'text-delta' ? f.chunk.delta : ''))
        .join('');
      expect(text).toBe('ok');
      // The aborted message's reply was not generated to its end (or at all).
      expect(model.produced).toBeLessThan(LONG_WORDS);
      client.ws.close();
    });

    it('maxChats 2, three new chats in one burst: the third is refused, no chat still starting is evicted', async () => {
      const model = new SlowWordsLLM(() => 'a short answer', 1);
      const server = await startChatServer({ createLLM: () => model, maxChats: 2 });
      const client = await rawClient(server.wsUrl);
      for (const i of [1, 2, 3]) client.send(sendFrame(`r${i}`, `c${i}`, [userMessage('u', 'hi')]));
      await waitFor(() => [1, 2, 3].every((i) => isOver(client.of(`r${i}`))), 'three answers');
      const outcome = [1, 2, 3].map((i) =>
        client.of(`r${i}`).find((f) => f.type === 'end' || f.type === 'error'),
      );
      expect(outcome).toEqual([
        { type: 'end', requestId: 'r1' },
        { type: 'end', requestId: 'r2' },
        { type: 'error', requestId: 'r3', errorText: CHAT_ERRORS.tooManyChats },
      ]);
      expect(server.errors).toEqual([]);
      client.ws.close();
    });
  },
);
