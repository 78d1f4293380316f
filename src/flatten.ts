/**
 * `a += b` in a loop builds a V8 rope: one heap cell per chunk, several times the size of the text
 * when chunks are a few characters long. Converting a rope to a number makes V8 flatten it in
 * place, which frees the cells (the trick `flatstr` and pino use).
 */
export function flatten(text: string): string {
  (text as unknown as number) | 0;
  return text;
}

/**
 * Decides when a growing string is worth flattening: once the chunks added since the last flatten
 * would cost more memory as rope cells than the flat text itself. Amortised O(1) per chunk.
 */
export class RopeBudget {
  private chunks = 0;
  private flatLength = 0;

  /** Called after each append; returns true when the caller should flatten now. */
  added(totalLength: number): boolean {
    this.chunks++;
    // ~64 bytes of cells per chunk against 1 byte per Latin-1 character of flat text.
    if (this.chunks < 32 || this.chunks * 64 < this.flatLength) return false;
    this.chunks = 0;
    this.flatLength = totalLength;
    return true;
  }

  reset(): void {
    this.chunks = 0;
    this.flatLength = 0;
  }
}
