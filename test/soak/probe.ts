import { spawn } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;

/** Runs a probe script in a child process (with --expose-gc); resolves with its last JSON line and exit code. */
export function runProbe(
  script: string,
  args: string[],
  timeoutMs: number,
): Promise<{ result: Record<string, unknown>; code: number | null; exitedBySelf: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // A probe must exit by itself: anything left running (a socket, a timer) keeps it alive.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .at(-1);
      if (!line)
        return reject(new Error(`probe printed nothing (code ${code}, ${signal}): ${stderr.slice(-2000)}`));
      resolve({ result: JSON.parse(line) as Record<string, unknown>, code, exitedBySelf: signal === null });
    });
  });
}
