import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
/** `https://github.com/<owner>/<name>`, from package.json's `repository`: the one place it is written. */
const repo = String(pkg.repository?.url ?? '')
  .replace(/^git\+/, '')
  .replace(/\.git$/, '');
const targets = [...readme.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => ({
  image: m[1] === '!',
  url: m[2]!,
}));

describe('the README read on the npm page', () => {
  it('package.json names the repository, its homepage and its issues, consistently', () => {
    expect(repo).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(pkg.repository.type).toBe('git');
    expect(pkg.homepage).toBe(`${repo}#readme`);
    expect(pkg.bugs.url).toBe(`${repo}/issues`);
  });

  it('every link and image is absolute (the tarball ships no docs/, examples/ or src/), and points at a file of this repository', () => {
    const [, owner, name] = /github\.com\/([^/]+)\/([^/]+)$/.exec(repo)!;
    const inRepo = new RegExp(
      `^(?:https://github\\.com/${owner}/${name}/(?:blob|tree)/main/|https://raw\\.githubusercontent\\.com/${owner}/${name}/main/)(.+)$`,
    );
    expect(targets.length).toBeGreaterThan(0);
    for (const { image, url } of targets) {
      if (url.startsWith('#')) continue; // an anchor in the README itself works anywhere
      expect(url, 'relative links break on the npm page: use the repository URL').toMatch(/^https:\/\//);
      const path = inRepo.exec(url)?.[1]?.split('#')[0];
      if (path === undefined) {
        expect(image, `${url}: images come from this repository`).toBe(false);
        continue;
      }
      expect(existsSync(join(root, path)), `${url}: no such file in the repository`).toBe(true);
      if (image)
        expect(url, 'images load from raw.githubusercontent.com').toContain('raw.githubusercontent.com');
      if (url.includes('/tree/')) expect(statSync(join(root, path)).isDirectory(), url).toBe(true);
    }
  });
});
