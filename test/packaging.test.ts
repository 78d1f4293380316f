import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

afterAll(() => rmSync(work, { recursive: true, force: true }));

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
});
