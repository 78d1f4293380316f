import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
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
  /** The temp directory holding the project; remove it when done. */
  work: string;
  /** The fresh project, with the tarball and `dependencies` installed. */
  project: string;
  /** The paths the installed tarball ships, as `npm pack --json` listed them. */
  files: string[];
}

/** What a pack is made of: the sources, the build's configuration, the shipped text and the toolchain. */
const packInputs = () => {
  const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .map((f) => `src/${f}`)
    .filter((f) => statSync(join(root, f)).isFile());
  return [
    ...sources.sort(),
    'package.json',
    'package-lock.json',
    'tsup.config.ts',
    'tsconfig.json',
    'README.md',
    'LICENSE',
  ];
};

/**
 * The one pack every test file installs from. `npm pack` rebuilds dist/ (prepack: tsup with
 * `clean`), so a second pack, or a `--dry-run` listing, running beside another file's pack can
 * find dist/ empty. Every caller takes the lock, and packs only when nothing packed from the same
 * inputs is there yet: one pack per change of the sources, shared by the test files of a run.
 */
async function sharedPack(): Promise<{ tarball: string; files: string[] }> {
  return withPackLock(async () => {
    const hash = createHash('sha256');
    for (const file of packInputs()) {
      if (!existsSync(join(root, file))) continue;
      hash
        .update(`${file}\0`)
        .update(readFileSync(join(root, file)))
        .update('\0');
    }
    const packs = join(root, '.tmp', 'packs');
    const dir = join(packs, hash.digest('hex').slice(0, 16));
    const listing = join(dir, 'files.json');
    if (!existsSync(listing)) {
      rmSync(packs, { recursive: true, force: true }); // packs of older sources
      const building = `${dir}.partial`;
      mkdirSync(building, { recursive: true });
      // prepack's build logs to stdout ahead of the JSON listing.
      const { stdout } = await sh('npm', ['pack', '--json', '--pack-destination', building], root);
      const files: string[] = JSON.parse(stdout.slice(stdout.search(/^\[\s*$/m)))[0].files.map(
        (f: { path: string }) => f.path,
      );
      writeFileSync(join(building, 'files.json'), JSON.stringify(files));
      renameSync(building, dir); // whole or absent: a pack killed halfway is never reused
    }
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    return { tarball: join(dir, tarball), files: JSON.parse(readFileSync(listing, 'utf8')) };
  });
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
  const { tarball, files } = await sharedPack();
  const work = mkdtempSync(join(tmpdir(), 'lst-pack-'));
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
      tarball,
      ...options.dependencies.map(installed),
    ],
    project,
  );
  return { work, project, files };
}

/** One pack at a time per checkout (see sharedPack). */
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
