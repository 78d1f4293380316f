import { type FormEvent, useState } from 'react';

export interface ComposerProps {
  /** A reply is streaming: the button stops it instead of sending. */
  busy: boolean;
  /** A message may be sent now (Enter and the Send button do nothing otherwise). */
  canSend: boolean;
  onSend(text: string): void;
  onStop(): void;
}

/** The message box of both demo pages: a text field, and Send, or Stop while a reply streams. */
export function Composer({ busy, canSend, onSend, onStop }: ComposerProps) {
  const [draft, setDraft] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (text === '' || !canSend) return;
    onSend(text);
    setDraft('');
  };
  return (
    <form onSubmit={submit}>
      <input
        aria-label="Message"
        placeholder="Type a message"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
      />
      {busy ? (
        <button type="button" className="stop" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" disabled={!canSend}>
          Send
        </button>
      )}
    </form>
  );
}
