import { mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedProject, packedProject, sh } from './helpers/packed-project.js';
import { readmeBlocks } from './readme/blocks.js';
import { documents } from './readme/documents.js';
import { asCommonJs, extractBlocks, type ReadmeBlock } from './readme/extract.js';

/** Every block of the README and of each guide in docs/: one mechanism for all of them. */
const blocks = documents().flatMap((doc) => extractBlocks(doc.text, doc.path));
/** A file name that says which block it is: `05-client-streamingagentclient-1.ts`. */
const fileOf = (block: ReadmeBlock, index: number) =>
  `${String(index + 1).padStart(2, '0')}-${block.key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}`;

let packed: PackedProject;
/** tsc's output for the whole project, one diagnostic per line. */
let diagnostics = '';

beforeAll(async () => {
  packed = await packedProject({
    type: 'module',
    dependencies: [
      '@livekit/agents',
      '@livekit/rtc-node',
      '@livekit/agents-plugin-openai',
      'zod',
      'ws',
      '@types/ws',
      'ioredis',
      'ai',
      '@ai-sdk/react',
      'react',
      '@types/react',
      'typescript',
      '@types/node',
    ],
  });
  const dir = join(packed.project, 'blocks');
  mkdirSync(dir);
  blocks.forEach((block, i) => {
    const setup = readmeBlocks[block.key] ?? {};
    const header = `// ${block.file} line ${block.line}: "${block.key}"`;
    const esm = [header, setup.prelude ?? '', block.code, setup.epilogue ?? ''].join('\n');
    writeFileSync(join(dir, `${fileOf(block, i)}.${block.lang}`), `${esm}\n`);
    if (setup.commonjs) {
      const cjs = [header, setup.prelude ?? '', asCommonJs(block.code)].join('\n');
      writeFileSync(join(dir, `${fileOf(block, i)}.cts`), cjs);
    }
  });
  writeFileSync(
    join(packed.project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'ES2022',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        jsx: 'react-jsx',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
        rootDir: 'blocks',
        outDir: 'out',
      },
      include: ['blocks'],
    }),
  );
  diagnostics = await sh(join(packed.project, 'node_modules/.bin/tsc'), ['-p', '.'], packed.project).then(
    (r) => r.stdout,
    (error: { stdout: string }) => error.stdout,
  );
}, 300_000);

// A whole node_modules: async, with time for a loaded machine.
afterAll(() => rm(packed.work, { recursive: true, force: true }), 120_000);

describe('the README code blocks, as a user copies them', () => {
  it('the guides have blocks too, checked the same way', () => {
    expect(blocks.filter((b) => b.file !== 'README.md').length).toBeGreaterThan(0);
  });

  it('every block has an entry in test/readme/blocks.ts, and every entry a block', () => {
    const keys = blocks.map((b) => b.key);
    expect(
      keys.filter((k) => !(k in readmeBlocks)),
      'add these to test/readme/blocks.ts',
    ).toEqual([]);
    expect(
      Object.keys(readmeBlocks).filter((k) => !keys.includes(k)),
      'no README or guide block has these keys',
    ).toEqual([]);
  });

  describe.each(blocks.map((block, i) => ({ ...block, out: fileOf(block, i) })))('$key', (block) => {
    it(`type-checks under strict, module nodenext (${block.file} line ${block.line})`, () => {
      const errors = diagnostics.split('\n').filter((line) => line.startsWith(`blocks/${block.out}.`));
      expect(errors).toEqual([]);
    });

    if (readmeBlocks[block.key]?.run) {
      it('runs and prints what the README says', async () => {
        const { stdout } = await sh(process.execPath, [`out/${block.out}.js`], packed.project);
        readmeBlocks[block.key]!.run!(stdout);
      }, 120_000);
    }
  });

  it('needs skipLibCheck, as the README says: without it the framework’s own .d.ts files fail', async () => {
    const strictLibs = await sh(
      join(packed.project, 'node_modules/.bin/tsc'),
      ['-p', '.', '--noEmit', '--skipLibCheck', 'false'],
      packed.project,
    ).then(
      (r) => r.stdout,
      (error: { stdout: string }) => error.stdout,
    );
    expect(strictLibs).toMatch(/^node_modules\/@livekit\/agents\/.*error TS/m);
  }, 120_000);

  it('tsc reports nothing else', () => {
    expect(
      diagnostics
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('blocks/') && !line.startsWith(' ')),
    ).toEqual([]);
  });
});
