/**
 * Groups a text part's segments into paragraphs (split after each line feed), incrementally:
 * segments only ever append, so each render splits only the segments it has not seen. Closed
 * paragraphs keep their array, so React skips them.
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
