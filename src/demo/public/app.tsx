import { type FormEvent, useEffect, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { type AgentTurn, type ResultEvent, useStreamingAgent } from '../../react/index.js';

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

function ToolStep({ event }: { event: ResultEvent }) {
  if (event.type === 'function_call')
    return <div className="step">{`🔧 ${event.name}(${event.arguments})`}</div>;
  if (event.type === 'function_call_output') return <div className="step">{`↳ ${event.output}`}</div>;
  return null;
}

/**
 * While a turn streams, one bubble per generation. Once its result is in, the bubbles are laid
 * out in the turn's own order, so a tool call shows between the text before and after it.
 */
function Reply({ turn }: { turn: AgentTurn }) {
  const streaming = turn.status === 'streaming';
  const hasTools = turn.events.some((e) => e.type === 'function_call');
  // A turn's events and generations never reorder once shown, so their index is a stable key.
  const parts = hasTools
    ? turn.events.map((event, i) =>
        event.type === 'message' ? (
          <div className="bubble agent" key={`m${i}`}>
            {event.content}
          </div>
        ) : (
          <div className="steps" data-testid="tool-steps" key={`t${i}`}>
            <ToolStep event={event} />
          </div>
        ),
      )
    : (turn.generations.length > 0 ? turn.generations : ['']).map((text, i, all) => (
        <div className="bubble agent" key={`g${i}`}>
          {text}
          {streaming && i === all.length - 1 && <span className="cursor" data-testid="cursor" />}
        </div>
      ));
  return (
    <div className={`reply ${turn.status}`} data-testid="reply" data-status={turn.status}>
      {parts}
      {turn.status === 'interrupted' && <div className="meta">stopped</div>}
      {turn.status === 'error' && <div className="meta">{turn.error}</div>}
    </div>
  );
}

function Turn({ turn }: { turn: AgentTurn }) {
  return (
    <>
      <div className="bubble user">{turn.message}</div>
      <Reply turn={turn} />
    </>
  );
}

function App() {
  const { turns, isStreaming, sendMessage, stop, status, isOpen, error } = useStreamingAgent(wsUrl);
  const [draft, setDraft] = useState('');
  const end = useRef<HTMLDivElement>(null);
  const lastText = turns.at(-1)?.text;
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll as the latest reply grows
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [turns.length, lastText]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const message = draft.trim();
    if (message === '' || !isOpen) return;
    sendMessage(message);
    setDraft('');
  };

  return (
    <div className="app">
      <header>
        <h1>livekit-streaming-text</h1>
        <span className="status" data-testid="status">
          {status}
        </span>
      </header>
      {!isOpen && status !== 'idle' && status !== 'connecting' && (
        <div className="banner" data-testid="banner">
          {status === 'reconnecting' ? 'Connection lost. Reconnecting…' : 'Disconnected from the agent.'}
        </div>
      )}
      <div className="messages">
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
        {error && isOpen && <div className="meta">{error}</div>}
        <div ref={end} />
      </div>
      <form onSubmit={submit}>
        <input
          aria-label="Message"
          placeholder="Type a message"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
        />
        {isStreaming ? (
          <button type="button" className="stop" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" disabled={!isOpen}>
            Send
          </button>
        )}
      </form>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<App />);
