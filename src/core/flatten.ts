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
 * Decides when a growing string is worth flattening mid-generation. Each flatten copies the whole
 * text, so it happens geometrically less often as the text grows (amortised O(1) per chunk), while
 * the rope cells added since the last one stay within a few times the flat text.
 */
export class RopeBudget {
  private chunks = 0;
  private flatLength = 0;

  /** Called after each append; returns true when the caller should flatten now. */
  added(totalLength: number): boolean {
    this.chunks++;
    if (this.chunks < 1024 || this.chunks * 8 < this.flatLength) return false;
    this.chunks = 0;
    this.flatLength = totalLength;
    return true;
  }

  reset(): void {
    this.chunks = 0;
    this.flatLength = 0;
  }
}
