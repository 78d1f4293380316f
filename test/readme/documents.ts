import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** A Markdown document a user reads: the README, or a guide in docs/. */
export interface Document {
  /** Its path in the repository: `README.md`, `docs/server.md`. */
  path: string;
  text: string;
}

/**
 * The README and every guide in docs/, README first. Their code blocks are checked by
 * test/readme.test.ts and their links by test/readme-links.test.ts, the same way for all.
 */
export function documents(): Document[] {
  const guides = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', ...guides].map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** The guides alone. */
export const guides = (): Document[] => documents().filter((d) => d.path !== 'README.md');
