import { memo, useEffect, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import {
  type AgentStatus,
  type AgentTurn,
  StreamingText,
  type TextPart,
  type ToolPart,
  useStreamingAgent,
} from '../../react/index.js';
import { Composer } from './composer.js';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

/** A generation's text, one block per paragraph (the library's renderer: see `StreamingText`). */
const TextBubble = memo(function TextBubble({ part, cursor }: { part: TextPart; cursor: boolean }) {
  return (
    <div className="bubble agent" data-testid="text-part" data-generation={part.generation}>
      <StreamingText
        part={part}
        paragraphClassName="para"
        cursor={cursor ? <span className="cursor" data-testid="cursor" /> : null}
      />
    </div>
  );
});

/** Tool outputs reach the model JSON-encoded: show a string output as the string. */
function readable(output: string): string {
  try {
    const value: unknown = JSON.parse(output);
    return typeof value === 'string' ? value : output;
  } catch {
    return output;
  }
}

/**
 * A tool step: shown as soon as the tool starts, its output filled in where "running…" was. A
 * turn that ended (stopped) while its tool ran shows the call with no output.
 */
const ToolStep = memo(function ToolStep({ part, ended }: { part: ToolPart; ended: boolean }) {
  const state = part.state === 'running' && ended ? 'stopped' : part.state;
  return (
    <div className="step" data-testid="tool-step" data-state={state}>
      <div className="step-call">{`🔧 ${part.name}(${part.arguments})`}</div>
      {state === 'running' && (
        <div className="step-status" data-testid="tool-running">
          <span className="spinner" aria-hidden="true" /> running…
        </div>
      )}
      {state === 'stopped' && <div className="step-status">no output: the turn was stopped</div>}
      {state === 'done' && (
        <div className={part.isError ? 'step-output error' : 'step-output'} data-testid="tool-output">
          {`↳ ${part.isError ? 'error: ' : ''}${readable(part.output ?? '')}`}
        </div>
      )}
    </div>
  );
});

/**
 * A reply's parts in the order they happened: text, tool steps, more text. Parts only ever
 * append, and a tool step fills in its output in place, so nothing already shown moves.
 */
function Reply({ turn }: { turn: AgentTurn }) {
  const streaming = turn.status === 'streaming';
  const last = turn.parts.at(-1);
  // Between a finished tool and the next text (or before any text), a cursor says more is coming.
  const waiting = streaming && (last === undefined || (last.type === 'tool' && last.state === 'done'));
  return (
    <div className={`reply ${turn.status}`} data-testid="reply" data-status={turn.status}>
      {turn.parts.map((part, i) =>
        part.type === 'text' ? (
          <TextBubble key={i} part={part} cursor={streaming && part === last} />
        ) : (
          <ToolStep key={i} part={part} ended={!streaming} />
        ),
      )}
      {waiting && (
        <div className="bubble agent" key="waiting">
          <span className="cursor" data-testid="cursor" />
        </div>
      )}
      {turn.status === 'interrupted' && <div className="meta">stopped</div>}
      {turn.status === 'error' && <div className="meta">{turn.error}</div>}
    </div>
  );
}

/** A turn object changes only when the turn did: the others skip rendering. */
const Turn = memo(function Turn({ turn }: { turn: AgentTurn }) {
  return (
    <>
      <div className="bubble user">{turn.message}</div>
      <Reply turn={turn} />
    </>
  );
});

/**
 * Keeps the list scrolled to the end while the user has not scrolled up: once per animation
 * frame at most, where the layout the browser must do for painting anyway is already due.
 */
function useStickToBottom(dependency: unknown) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const frame = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the content changed
  useEffect(() => {
    if (!stick.current || frame.current !== 0) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      const el = ref.current;
      if (el && stick.current) el.scrollTop = el.scrollHeight;
    });
  }, [dependency]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  const onScroll = () => {
    const el = ref.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  };
  return { ref, onScroll };
}

/** The connection in words (the raw status stays in `data-status`, for tests and styling). */
const STATUS_WORDS: Record<AgentStatus, string> = {
  idle: 'connecting…',
  connecting: 'connecting…',
  open: 'connected',
  reconnecting: 'reconnecting…',
  resumed: 'connected',
  restored: 'connected',
  expired: 'connected',
  closed: 'disconnected',
};

/** What a reconnect meant for the chat, said once it is back. */
const RECONNECT_NOTICE: Partial<Record<AgentStatus, string>> = {
  restored: 'The server restarted. The agent picked the conversation up from this page.',
  expired:
    'The server restarted and the agent lost this conversation: it starts afresh from your next message.',
};

function App() {
  // The hook asks for at most one frame per display frame: a fast model's deltas merged, not one message each.
  const { turns, isStreaming, sendMessage, stop, status, isOpen, error } = useStreamingAgent(wsUrl);
  const scroller = useStickToBottom(turns);

  return (
    <div className="app">
      <header>
        <h1>livekit-streaming-text</h1>
        <a className="alt-page" href="/ai-sdk">
          useChat (AI SDK) page →
        </a>
        <span className="status" data-testid="status" data-status={status}>
          {STATUS_WORDS[status]}
        </span>
      </header>
      {!isOpen && status !== 'idle' && status !== 'connecting' && (
        <div className="banner" data-testid="banner">
          {status === 'reconnecting'
            ? 'Connection lost. Reconnecting…'
            : 'Disconnected from the agent. Reload the page to try again.'}
        </div>
      )}
      <div className="messages" ref={scroller.ref} onScroll={scroller.onScroll}>
        {turns.length === 0 && (
          <div className="empty">
            Say hello, or ask about the weather in Paris
            <br />
            to watch a tool call happen in the middle of a reply.
          </div>
        )}
        {turns.map((turn) => (
          <Turn key={turn.id} turn={turn} />
        ))}
        {RECONNECT_NOTICE[status] && (
          <div className="meta notice" data-testid="notice">
            {RECONNECT_NOTICE[status]}
          </div>
        )}
        {error && <div className="meta">{error}</div>}
      </div>
      <Composer busy={isStreaming} canSend={isOpen} onSend={sendMessage} onStop={stop} />
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
