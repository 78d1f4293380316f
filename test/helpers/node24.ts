import { execFileSync } from 'node:child_process';

const script = new URL('../../scripts/node24.sh', import.meta.url).pathname;

/**
 * The path of a Node 24 binary (this process's own when it already runs on Node >= 24), for tests
 * whose subject needs Node >= 22 (the `ai` SDK). Undefined when the machine has none: run
 * `bash scripts/node24.sh --install` (CI does).
 */
export function node24Path(): string | undefined {
  if (Number(process.versions.node.split('.')[0]) >= 24) return process.execPath;
  try {
    return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
