import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);

/** The repository's root. */
export const root = new URL('../..', import.meta.url).pathname;

export async function sh(command: string, args: string[], cwd: string) {
  return execFileAsync(command, args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_loglevel: 'error' },
  });
}

/** `name@version` as installed in this repository, so the fresh project gets the same versions offline. */
const installed = (name: string) => `${name}@${require(`${root}node_modules/${name}/package.json`).version}`;

export interface PackedProject {
  /** The temp directory holding the tarball and the project; remove it when done. */
  work: string;
  /** The fresh project, with the tarball and `dependencies` installed. */
  project: string;
}

/**
 * `npm pack` of this repository installed into a fresh project, the way a user meets the package:
 * only what the tarball ships, resolved through its `exports`, next to the given packages (at the
 * versions this repository uses).
 */
export async function packedProject(options: {
  type: 'module' | 'commonjs';
  dependencies: string[];
}): Promise<PackedProject> {
  const work = mkdtempSync(join(tmpdir(), 'lst-pack-'));
  await withPackLock(() => sh('npm', ['pack', '--pack-destination', work], root));
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  const project = join(work, 'consumer');
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: options.type }),
  );
  await sh(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, tarball),
      ...options.dependencies.map(installed),
    ],
    project,
  );
  return { work, project };
}

/**
 * `npm pack` rebuilds dist/ (prepack, tsup with `clean`): two test files packing at once would
 * delete each other's build. One pack at a time per checkout.
 */
async function withPackLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(root, '.tmp', 'pack.lock');
  mkdirSync(join(root, '.tmp'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left by a run that was killed mid-pack: a pack takes well under 5 minutes.
      if (Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 300_000)
        rmSync(lock, { force: true, recursive: true });
      await sleep(250);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
