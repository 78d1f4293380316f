import { useChat } from '@ai-sdk/react';
import { type UIMessage, WebSocketChatTransport } from 'ai';
import { useEffect, useRef } from 'react';
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

type Part = UIMessage['parts'][number];

function ToolPart({ part }: { part: Part & { toolCallId: string } }) {
  const p = part as { type: string; state: string; input?: unknown; output?: unknown; errorText?: string };
  const name = p.type.replace(/^tool-/, '');
  return (
    <div className="steps" data-testid="tool-step" data-state={p.state}>
      <div className="step">{`🔧 ${name}(${JSON.stringify(p.input ?? {})})`}</div>
      {p.state === 'output-available' && <div className="step">{`↳ ${String(p.output)}`}</div>}
      {p.state === 'output-error' && <div className="step">{`↳ error: ${p.errorText}`}</div>}
    </div>
  );
}

function Message({ message, streaming }: { message: UIMessage; streaming: boolean }) {
  if (message.role === 'user') {
    const text = message.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    return <div className="bubble user">{text}</div>;
  }
  // Parts in the order the agent produced them: text, the tool step, more text.
  return (
    <div className="reply" data-testid="reply" data-status={streaming ? 'streaming' : 'done'}>
      {message.parts.map((part, i) => {
        if (part.type === 'text')
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: a message's parts only grow at the end
            <div className="bubble agent" key={`p${i}`} data-testid="text-part">
              {part.text}
            </div>
          );
        if ('toolCallId' in part) return <ToolPart part={part} key={part.toolCallId} />;
        return null;
      })}
      {streaming && <span className="cursor" data-testid="cursor" />}
    </div>
  );
}

function App() {
  const { messages, sendMessage, status, stop, error } = useChat({
    id: chatId,
    messages: saved,
    transport,
    resume: true,
  });
  const end = useRef<HTMLDivElement>(null);
  const busy = status === 'submitted' || status === 'streaming';

  useEffect(() => {
    // Keep finished messages for a reload; an unfinished reply comes back from the server instead.
    const keep = busy && messages.at(-1)?.role === 'assistant' ? messages.slice(0, -1) : messages;
    sessionStorage.setItem(`${CHAT_KEY}:messages`, JSON.stringify(keep));
    end.current?.scrollIntoView({ block: 'end' });
  }, [messages, busy]);

  return (
    <div className="app">
      <header>
        <h1>
          useChat <span className="status">AI SDK</span>
        </h1>
        <span className="status" data-testid="status">
          {status}
        </span>
      </header>
      <div className="messages">
        {messages.length === 0 && (
          <div className="empty">
            The AI SDK's useChat, talking to a LiveKit agent over WebSocketChatTransport.
            <br />
            Ask about the weather in Paris to see a tool step.
          </div>
        )}
        {messages.map((message, i) => (
          <Message key={message.id} message={message} streaming={busy && i === messages.length - 1} />
        ))}
        {error && (
          <div className="meta" data-testid="error">
            {error.message}
          </div>
        )}
        <div ref={end} />
      </div>
      <Composer
        busy={busy}
        canSend={!busy}
        onSend={(text) => void sendMessage({ text })}
        onStop={() => void stop()}
      />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
