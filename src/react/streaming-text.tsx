import { memo, type ReactNode, useRef } from 'react';
import type { TextPart } from './turn-store.js';

/**
 * Groups a text part's segments into paragraphs (split after each line feed), incrementally:
 * segments only ever append, so each update splits only the segments it has not seen. Closed
 * paragraphs keep their array, so a memoized renderer skips them.
 */
export class Paragraphs {
  private source: readonly string[] = [];
  closed: string[][] = [];
  open: string[] = [];

  update(segments: readonly string[]): void {
    // A part whose text was replaced (its `complete` disagreed with its deltas) starts over.
    if (segments.length < this.source.length || segments[0] !== this.source[0]) {
      this.source = [];
      this.closed = [];
      this.open = [];
    }
    for (let i = this.source.length; i < segments.length; i++) {
      for (const piece of segments[i]!.split(/(?<=\n)/)) {
        this.open.push(piece);
        if (piece.endsWith('\n')) {
          this.closed.push(this.open);
          this.open = [];
        }
      }
    }
    this.source = segments;
  }
}

/** A text part's paragraphs, kept across renders: `closed` ones never change, `open` grows. */
export function useParagraphs(part: TextPart): { closed: readonly string[][]; open: readonly string[] } {
  const paragraphs = useRef<Paragraphs | null>(null);
  paragraphs.current ??= new Paragraphs();
  paragraphs.current.update(part.segments);
  return paragraphs.current;
}

/** One committed piece of text: earlier pieces never change, so React never touches their nodes again. */
const Segment = memo(function Segment({ text }: { text: string }) {
  return <>{text}</>;
});

/**
 * One paragraph's block. The open one renders its pieces, one text node each, so a commit only
 * appends nodes; once closed it renders its text as one node (once: its pieces never change, so
 * `memo` skips it from then on). A long reply then keeps one text node per paragraph, not one per
 * delta: a 100,000-delta reply would otherwise hold 100,000 text nodes and as many React fibers.
 */
const Paragraph = memo(function Paragraph({
  pieces,
  isClosed,
  className,
  cursor,
}: {
  pieces: readonly string[];
  isClosed: boolean;
  className: string | undefined;
  cursor: ReactNode;
}) {
  if (isClosed) return <div className={className}>{pieces.join('')}</div>;
  return (
    <div className={className}>
      {pieces.map((piece, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: pieces only ever append, so their index is a stable key
        <Segment key={i} text={piece} />
      ))}
      {cursor}
    </div>
  );
});

export interface StreamingTextProps {
  /** A text part of a turn (`turn.parts`), as `useStreamingAgent` gives it. */
  part: TextPart;
  /** Shown after the last character, e.g. a blinking cursor while the reply streams. */
  cursor?: ReactNode;
  /** The class of each paragraph's `<div>`; keep `white-space: pre-wrap` on it or its parent. */
  paragraphClassName?: string;
}

/**
 * A streaming reply's text, one `<div>` per paragraph: paragraphs already closed (by a line feed)
 * are never rendered again, and the open one only gains text nodes, so each commit costs the
 * browser the layout of one paragraph, not of the whole reply. A plain `{turn.text}` in one
 * element re-lays out the whole reply on every commit: long replies then stall the page.
 */
export const StreamingText = memo(function StreamingText({
  part,
  cursor,
  paragraphClassName,
}: StreamingTextProps) {
  const { closed, open } = useParagraphs(part);
  return (
    <>
      {closed.map((pieces, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: paragraphs only ever append, so their index is a stable key
        <Paragraph key={i} pieces={pieces} isClosed className={paragraphClassName} cursor={null} />
      ))}
      <Paragraph
        key={closed.length}
        pieces={[...open]}
        isClosed={false}
        className={paragraphClassName}
        cursor={cursor}
      />
    </>
  );
});
