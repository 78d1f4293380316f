import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'lst-pack-'));
const project = join(work, 'consumer');

async function sh(command: string, args: string[], cwd: string) {
  return run(command, args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

/** The packed tarball installed into a fresh project, the way a user meets the package. */
beforeAll(async () => {
  await sh('npm', ['pack', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  cpSync(join(root, 'test/fixtures/consumer'), project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }),
  );
  const installed = (name: string) =>
    `${name}@${require(`${root}node_modules/${name}/package.json`).version}`;
  await sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, tarball),
      ...[
        '@livekit/agents',
        '@livekit/rtc-node',
        'zod',
        'react',
        '@types/react',
        'typescript',
        '@types/node',
      ].map(installed),
    ],
    project,
  );
}, 300_000);

// Removing a fresh node_modules can take long on a loaded machine.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

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
  });

  it('requires from CommonJS and runs a real turn', async () => {
    const { stdout } = await sh(process.execPath, ['cjs.cjs'], project);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      kind: 'cjs',
      instanceOfTextOutput: true,
      text: 'Hello from CJS',
      server: 'function',
      client: 'function',
    });
  });

  it('type-checks for ESM and CommonJS consumers', async () => {
    const result = await sh(join(project, 'node_modules/.bin/tsc'), ['-p', '.'], project).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout, failed: true }),
    );
    expect(result.stdout).toBe('');
  });

  it('ships the built files only: no tests, no sources', async () => {
    const { stdout } = await sh('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path);
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
