import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type APIConnectOptions, DEFAULT_API_CONNECT_OPTIONS, llm, voice } from '@livekit/agents';
import {
  AbstractChat,
  type ChatInit,
  type ChatState,
  type ChatStatus,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { type AISDKChats, type AISDKChatsOptions, createAISDKChats } from '../../src/ai-sdk/index.js';
import { createAgent, type FakeResponse, WEATHER_SCRIPT } from './session.js';

/** `ai` 7 declares node >= 22: tests that load its client run on Node 22+ only. */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
export const AI_SDK_SKIP_REASON = `ai 7 requires Node >= 22 (engines); this is Node ${process.versions.node}`;
export const aiSdkUnsupported = NODE_MAJOR < 22;

export interface ChatServer {
  chats: AISDKChats;
  http: Server;
  /** ws://127.0.0.1:port/api/chat/ws */
  wsUrl: string;
  /** http://127.0.0.1:port/api/chat */
  api: string;
  errors: Array<{ error: unknown; where: string }>;
}

const running: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((close) => close()));
});

/** The AI SDK endpoints on a real HTTP server on 127.0.0.1:0; closed after each test. */
export async function startChatServer(
  options: Partial<AISDKChatsOptions> & { script?: FakeResponse[] } = {},
): Promise<ChatServer> {
  const { script = WEATHER_SCRIPT, ...rest } = options;
  const errors: ChatServer['errors'] = [];
  const chats = createAISDKChats({
    createAgent: () => createAgent(),
    createLLM: () => new voice.testing.FakeLLM(script),
    onError: (error, where) => {
      errors.push({ error, where });
      if (process.env.DEBUG_SERVER) console.error(where, error);
    },
    ...rest,
  });
  const handle = chats.handler();
  const http = createServer((req, res) => {
    if (!handle(req, res)) res.writeHead(404).end();
  });
  chats.attachWebSocket(http, { path: '/api/chat/ws' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  running.push(async () => {
    await chats.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return {
    chats,
    http,
    wsUrl: `ws://127.0.0.1:${port}/api/chat/ws`,
    api: `http://127.0.0.1:${port}/api/chat`,
    errors,
  };
}

/** The AI SDK's own chat state machine (what `useChat` wraps), with a plain array as its state. */
export class NodeChat extends AbstractChat<UIMessage> {
  constructor(init: Omit<ChatInit<UIMessage>, 'messages'> & { messages?: UIMessage[] }) {
    const state = new ArrayState(init.messages ?? []);
    super({ ...init, state });
  }
  get all(): UIMessage[] {
    return this.state.messages;
  }
}

class ArrayState implements ChatState<UIMessage> {
  status: ChatStatus = 'ready';
  error: Error | undefined = undefined;
  constructor(public messages: UIMessage[]) {}
  pushMessage = (message: UIMessage) => {
    this.messages = this.messages.concat(message);
  };
  popMessage = () => {
    this.messages = this.messages.slice(0, -1);
  };
  replaceMessage = (index: number, message: UIMessage) => {
    this.messages = [...this.messages.slice(0, index), message, ...this.messages.slice(index + 1)];
  };
  snapshot = <T>(value: T): T => structuredClone(value);
}

/** The text of an assistant message's text parts, joined. */
export function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
}

type ChatArgs = Parameters<llm.LLM['chat']>[0];

/**
 * A real `llm.LLM` that streams `reply` a word at a time, yielding `delayMs` between words
 * (a turn long enough to abort or drop mid-way), and records the chat context of each call.
 */
export class SlowWordsLLM extends llm.LLM {
  readonly contexts: Array<Array<{ type: string; role?: string; text?: string; name?: string }>> = [];
  /** Words the model has produced, over all calls. */
  produced = 0;
  constructor(
    private readonly reply: (userText: string) => string,
    private readonly delayMs = 5,
  ) {
    super();
  }
  label(): string {
    return 'slow-words-llm';
  }
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }: ChatArgs): llm.LLMStream {
    this.contexts.push(
      chatCtx.items.map((item) =>
        item.type === 'message'
          ? { type: item.type, role: item.role, text: item.textContent ?? '' }
          : item.type === 'function_call' || item.type === 'function_call_output'
            ? {
                type: item.type,
                name: item.name,
                text: item.type === 'function_call' ? item.args : item.output,
              }
            : { type: item.type },
      ),
    );
    return new SlowWordsStream(this, { chatCtx, toolCtx, connOptions: { ...connOptions, maxRetry: 0 } });
  }
  replyTo(text: string): string {
    return this.reply(text);
  }
  get delay(): number {
    return this.delayMs;
  }
}

class SlowWordsStream extends llm.LLMStream {
  constructor(
    private readonly owner: SlowWordsLLM,
    params: { chatCtx: llm.ChatContext; toolCtx?: ChatArgs['toolCtx']; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }
  protected async run(): Promise<void> {
    const last = this.chatCtx.items.at(-1);
    const userText = last?.type === 'message' && last.role === 'user' ? (last.textContent ?? '') : '';
    const signal = this.abortController.signal;
    for (const word of this.owner.replyTo(userText).match(/\S+\s*/g) ?? []) {
      if (signal.aborted) return;
      this.owner.produced++;
      this.queue.put({ id: 'slow', delta: { role: 'assistant', content: word } });
      await new Promise((resolve) => setTimeout(resolve, this.owner.delay));
    }
  }
}

export function userMessage(id: string, text: string): UIMessage {
  return { id, role: 'user', parts: [{ type: 'text', text }] };
}

/** A server frame as a test reads it. */
export type Frame = {
  type: string;
  requestId?: string;
  sequence?: number;
  chunk?: UIMessageChunk;
  errorText?: string;
};

/** A raw protocol client: sends frames, collects every frame the server sends. */
export async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  return {
    ws,
    frames,
    closed,
    send: (frame: object) => ws.send(JSON.stringify(frame)),
    of: (requestId: string) => frames.filter((f) => f.requestId === requestId),
  };
}

export const sendFrame = (
  requestId: string,
  id: string,
  messages: UIMessage[],
  trigger = 'submit-message',
) => ({
  type: 'send',
  requestId,
  id,
  trigger,
  messageId: undefined,
  messages,
  headers: {},
  body: {},
  metadata: undefined,
});
export const resumeFrame = (requestId: string, id: string) => ({
  type: 'resume',
  requestId,
  id,
  headers: {},
  body: {},
});
