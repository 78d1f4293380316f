// biome-ignore-all assist/source/organizeImports: zod-jitless must run before the AI SDK's schemas are built (see the file)
import { zodSettings } from './zod-jitless.js';
import { useChat } from '@ai-sdk/react';
import { type UIMessage, WebSocketChatTransport } from 'ai';
import { useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Composer } from '../public/composer.js';

/**
 * The same offline agent as the main page, through the AI SDK: `useChat` over
 * `WebSocketChatTransport`. This page writes no client code of its own for the protocol.
 */
const transport = new WebSocketChatTransport<UIMessage>({ url: '/api/chat/ws' });

// One chat per browser tab, kept across reloads: reloading mid-reply resumes it (`resume: true`).
const CHAT_KEY = 'ai-sdk-demo-chat';
const chatId = sessionStorage.getItem(`${CHAT_KEY}:id`) ?? crypto.randomUUID();
sessionStorage.setItem(`${CHAT_KEY}:id`, chatId);
const saved: UIMessage[] = JSON.parse(sessionStorage.getItem(`${CHAT_KEY}:messages`) ?? '[]');

if (!zodSettings.jitless) console.warn('zod compiles its validators: expect a CSP error');

type Part = UIMessage['parts'][number];

/** Long replies re-render `messages` at most this often, as the AI SDK recommends for them. */
const THROTTLE_MS = 50;

/** A reply cut by a dropped connection is resumed with these delays, then the page gives up. */
const RESUME_DELAYS_MS = [250, 500, 1000, 2000, 4000, 8000];

/** Tool outputs reach the model JSON-encoded: show a string output as the string. */
function readable(output: unknown): string {
  if (typeof output !== 'string') return JSON.stringify(output);
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'string' ? value : output;
  } catch {
    return output;
  }
}

/** A tool step, as on the main page: running (with a spinner), done, failed, or stopped. */
function ToolPart({ part, ended }: { part: Part & { toolCallId: string }; ended: boolean }) {
  const p = part as { type: string; state: string; input?: unknown; output?: unknown; errorText?: string };
  const name = p.type.replace(/^tool-/, '');
  const finished = p.state === 'output-available' || p.state === 'output-error';
  const state = finished ? p.state : ended ? 'stopped' : 'running';
  return (
    <div className="steps" data-testid="tool-step" data-state={p.state} data-shown={state}>
      <div className="step">
        <div className="step-call">{`🔧 ${name}(${JSON.stringify(p.input ?? {})})`}</div>
        {state === 'running' && (
          <div className="step-status" data-testid="tool-running">
            <span className="spinner" aria-hidden="true" /> running…
          </div>
        )}
        {state === 'stopped' && <div className="step-status">no output: the reply was stopped</div>}
        {p.state === 'output-available' && <div className="step-output">{`↳ ${readable(p.output)}`}</div>}
        {p.state === 'output-error' && <div className="step-output error">{`↳ error: ${p.errorText}`}</div>}
      </div>
    </div>
  );
}

function Message({
  message,
  streaming,
  stopped,
}: {
  message: UIMessage;
  streaming: boolean;
  stopped: boolean;
}) {
  if (message.role === 'user') {
    const text = message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    return <div className="bubble user">{text}</div>;
  }
  const last = message.parts.at(-1);
  // Waiting for more after a finished tool (or before any text): a cursor says more is coming.
  const waiting =
    streaming &&
    (last === undefined ||
      (last.type !== 'text' && 'state' in last && String(last.state).startsWith('output-')));
  const status = streaming ? 'streaming' : stopped ? 'interrupted' : 'done';
  // Parts in the order the agent produced them: text, the tool step, more text.
  return (
    <div className={`reply ${status}`} data-testid="reply" data-status={status}>
      {message.parts.map((part, i) => {
        if (part.type === 'text')
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a message's parts only grow at the end
            <div className="bubble agent" key={`p${i}`} data-testid="text-part">
              {part.text}
              {streaming && part === last && <span className="cursor" data-testid="cursor" />}
            </div>
          );
        if ('toolCallId' in part) return <ToolPart part={part} ended={!streaming} key={part.toolCallId} />;
        return null;
      })}
      {waiting && (
        <div className="bubble agent">
          <span className="cursor" data-testid="cursor" />
        </div>
      )}
      {stopped && <div className="meta">stopped</div>}
    </div>
  );
}

/** `useChat`'s status in words (the raw status stays in `data-status`). */
const STATUS_WORDS = {
  submitted: 'sending…',
  streaming: 'replying…',
  ready: 'connected',
  error: 'problem',
} as const;

function App() {
  const { messages, setMessages, sendMessage, status, stop, error, resumeStream, clearError } = useChat({
    id: chatId,
    messages: saved,
    transport,
    resume: true,
    experimental_throttle: THROTTLE_MS,
  });
  const end = useRef<HTMLDivElement>(null);
  const busy = status === 'submitted' || status === 'streaming';
  /** Assistant messages the user stopped: they look stopped, not finished. */
  const [stopped, setStopped] = useState<ReadonlySet<string>>(() => new Set());
  /** Resuming a reply whose connection dropped: the attempt number, or undefined. */
  const [resuming, setResuming] = useState<number | undefined>(undefined);
  const lastMessage = messages.at(-1);
  // A failed request whose last message is the user's: the send failed. Otherwise a reply was cut.
  const failedSend = status === 'error' && lastMessage?.role === 'user';
  const cutReply = status === 'error' && lastMessage?.role === 'assistant' && !stopped.has(lastMessage.id);

  useEffect(() => {
    // Keep finished messages for a reload; an unfinished reply comes back from the server instead.
    const keep = busy && messages.at(-1)?.role === 'assistant' ? messages.slice(0, -1) : messages;
    sessionStorage.setItem(`${CHAT_KEY}:messages`, JSON.stringify(keep));
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages, busy]);

  // A reply cut by a dropped connection: resume it from the server, with backoff, a few times.
  useEffect(() => {
    if (!cutReply) {
      if (status !== 'error') setResuming(undefined);
      return;
    }
    const attempt = resuming ?? 0;
    if (attempt >= RESUME_DELAYS_MS.length) return;
    const timer = setTimeout(() => {
      setResuming(attempt + 1);
      clearError();
      void resumeStream();
    }, RESUME_DELAYS_MS[attempt]);
    return () => clearTimeout(timer);
  }, [cutReply, resuming, status, clearError, resumeStream]);

  /** Sends the last user message again, in place of the failed attempt and any cut reply. */
  const retry = () => {
    const at = messages.map((m) => m.role).lastIndexOf('user');
    if (at < 0) return;
    const text = messages[at]!.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    setMessages(messages.slice(0, at));
    void sendMessage({ text });
  };

  const onStop = () => {
    if (lastMessage?.role === 'assistant') setStopped((s) => new Set(s).add(lastMessage.id));
    void stop();
  };
  const reconnecting = cutReply && (resuming ?? 0) < RESUME_DELAYS_MS.length;

  return (
    <div className="app">
      <header>
        <h1>
          useChat <span className="status">AI SDK</span>
        </h1>
        <a className="alt-page" href="/">
          ← useStreamingAgent page
        </a>
        <span className="status" data-testid="status" data-status={status}>
          {STATUS_WORDS[status]}
        </span>
      </header>
      {(reconnecting || (resuming !== undefined && busy)) && (
        <div className="banner" data-testid="banner">
          Connection lost. Reconnecting…
        </div>
      )}
      {cutReply && !reconnecting && (
        <div className="banner" data-testid="banner">
          The connection was lost and the reply could not be resumed.{' '}
          <button type="button" onClick={retry}>
            Retry
          </button>
        </div>
      )}
      <div className="messages">
        {messages.length === 0 && (
          <div className="empty">
            The AI SDK's useChat, talking to a LiveKit agent over WebSocketChatTransport.
            <br />
            Ask about the weather in Paris to see a tool step.
          </div>
        )}
        {messages.map((message, i) => (
          <Message
            key={message.id}
            message={message}
            streaming={busy && i === messages.length - 1}
            stopped={stopped.has(message.id)}
          />
        ))}
        {failedSend && (
          <div className="reply error" data-testid="send-failed">
            <div className="meta">
              Not sent: the agent could not be reached{error ? ` (${error.message})` : ''}.{' '}
              <button type="button" onClick={retry}>
                Retry
              </button>
            </div>
          </div>
        )}
        <div ref={end} />
      </div>
      <Composer busy={busy} canSend={!busy} onSend={(text) => void sendMessage({ text })} onStop={onStop} />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
