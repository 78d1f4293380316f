/** One fenced TypeScript block of the README or a guide, named by where it sits. */
export interface ReadmeBlock {
  /**
   * `<nearest heading above it> #<n>`: n counts the ts/tsx blocks under that heading, from 1. In a
   * guide the key starts with its path: `docs/server.md: <heading> #<n>`.
   */
  key: string;
  /** The document it is in: `README.md`, `docs/server.md`. */
  file: string;
  lang: 'ts' | 'tsx';
  code: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

/**
 * Every ```ts and ```tsx block of a Markdown text. Blocks are keyed by their heading rather than their
 * position in the file, so adding a block elsewhere does not rename the others.
 */
export function extractBlocks(markdown: string, file = 'README.md'): ReadmeBlock[] {
  const prefix = file === 'README.md' ? '' : `${file}: `;
  const blocks: ReadmeBlock[] = [];
  const perHeading = new Map<string, number>();
  const lines = markdown.split('\n');
  let heading = '(top)';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      const lang = fence[1];
      if (lang === 'ts' || lang === 'tsx') {
        const n = (perHeading.get(heading) ?? 0) + 1;
        perHeading.set(heading, n);
        blocks.push({ key: `${prefix}${heading} #${n}`, file, lang, code: body.join('\n'), line: start + 1 });
      }
      continue;
    }
    const title = /^#{1,6}\s+(.*)$/.exec(line);
    if (title) heading = title[1]!.trim();
  }
  return blocks;
}

/**
 * The same code as a CommonJS module: import lines stay at the top (tsc turns them into `require`),
 * the rest goes into an async function, since CommonJS has no top-level `await`.
 */
export function asCommonJs(code: string): string {
  const imports = code.match(/^import\b[\s\S]*?\bfrom\s+['"][^'"]+['"];?[ \t]*(\/\/.*)?$/gm) ?? [];
  let body = code;
  for (const statement of imports) body = body.replace(statement, '');
  return `${imports.join('\n')}\nexport async function main(): Promise<void> {\n${body}\n}\n`;
}
