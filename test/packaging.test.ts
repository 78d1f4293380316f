import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedProject, packedProject, root, sh } from './helpers/packed-project.js';

let packed: PackedProject;
let project: string;

/** The packed tarball installed into a fresh project, the way a user meets the package. */
beforeAll(async () => {
  packed = await packedProject({
    type: 'commonjs',
    dependencies: [
      '@livekit/agents',
      '@livekit/rtc-node',
      'zod',
      'react',
      '@types/react',
      'typescript',
      '@types/node',
      '@types/ws',
      'ws',
      'undici-types',
    ],
  });
  project = packed.project;
  cpSync(join(root, 'test/fixtures/consumer'), project, { recursive: true });
}, 300_000);

// A whole node_modules: async, with time for a loaded machine.
afterAll(() => rm(packed.work, { recursive: true, force: true }), 120_000);

describe('the packed package in a fresh project', () => {
  it('imports from ESM and runs a real turn', async () => {
    const { stdout } = await sh(process.execPath, ['esm.mjs'], project);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      kind: 'esm',
      instanceOfTextOutput: true,
      text: 'Hello from ESM',
      server: 'function',
      client: 'function',
      demo: 'function',
    });
  }, 120_000);

  it('requires from CommonJS and runs a real turn', async () => {
    const { stdout } = await sh(process.execPath, ['cjs.cjs'], project);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      kind: 'cjs',
      instanceOfTextOutput: true,
      text: 'Hello from CJS',
      server: 'function',
      client: 'function',
    });
  }, 120_000);

  it('type-checks for ESM and CommonJS consumers', async () => {
    const result = await sh(join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(result.stdout).toBe('');
  }, 120_000);

  it('the built .d.ts gives StreamReader only its reading side', () => {
    const dist = join(project, 'node_modules/livekit-streaming-text/dist');
    const declarations = readdirSync(dist, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.d\.c?ts$/.test(f))
      .map((f) => readFileSync(join(dist, f), 'utf8'));
    const classes = declarations.flatMap(
      (d) => d.match(/declare class StreamReader\b[^{]*\{[\s\S]*?\n\}/g) ?? [],
    );
    expect(classes.length).toBeGreaterThanOrEqual(2); // ESM and CommonJS declarations
    for (const body of classes) {
      const members = [...body.matchAll(/^ {4}(?:(?:get|private|readonly) )*(#?[\w[\].]+)[(;:]/gm)].map(
        (m) => m[1],
      );
      expect(members.sort()).toEqual(
        [
          '#private',
          'buffered',
          'constructor',
          'done',
          'next',
          'readable',
          'return',
          'tryNext',
          'whenReadable',
          '[Symbol.asyncIterator]',
        ].sort(),
      );
      expect(body).toContain('private constructor();');
    }
    for (const d of declarations) expect(d).not.toMatch(/ReaderControl|readerControl/);
  });

  it('ships the built files only: no tests, no sources', () => {
    // The listing of the very tarball installed above: no second pack racing another file's build.
    const { files } = packed;
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.cjs');
    expect(files).toContain('dist/server/index.d.cts');
    expect(files.some((f) => f.startsWith('test/') || f.startsWith('src/'))).toBe(false);
  });

  it('a user who never imports /ai-sdk loads nothing of ai or @ai-sdk/react, and installs neither', () => {
    const dist = join(project, 'node_modules/livekit-streaming-text/dist');
    const bare = /(?:from\s*|import\(\s*|require\(\s*)["']([^"'.][^"']*)["']/g;
    const relative = /(?:from\s*|import\(\s*|require\(\s*)["'](\.{1,2}\/[^"']+)["']/g;
    /** Every bare module specifier a built entry loads, following its relative imports. */
    const loads = (entry: string): Set<string> => {
      const seen = new Set<string>();
      const modules = new Set<string>();
      const visit = (file: string) => {
        if (seen.has(file)) return;
        seen.add(file);
        const code = readFileSync(file, 'utf8');
        for (const [, name] of code.matchAll(bare)) modules.add(name!);
        for (const [, path] of code.matchAll(relative)) visit(join(dirname(file), path!));
      };
      visit(join(dist, entry));
      return modules;
    };
    for (const entry of ['index', 'server/index', 'client/index', 'react/index', 'demo/index']) {
      for (const format of ['js', 'cjs']) {
        const modules = [...loads(`${entry}.${format}`)];
        expect(modules.length, `${entry}.${format}`).toBeGreaterThan(0);
        expect(
          modules.filter((m) => m === 'ai' || m.startsWith('@ai-sdk/')),
          `${entry}.${format}`,
        ).toEqual([]);
      }
    }
    // The check can see it: the /ai-sdk entry does load ai.
    expect(loads('ai-sdk/index.js').has('ai')).toBe(true);
    expect(loads('ai-sdk/index.cjs').has('ai')).toBe(true);
    // Optional peers: npm installs neither for a user who did not ask.
    expect(existsSync(join(project, 'node_modules/ai'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/@ai-sdk/react'))).toBe(false);
  });
});
