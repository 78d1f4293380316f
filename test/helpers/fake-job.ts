import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type defineAgent,
  JobContext,
  JobProcess,
  log,
  runWithJobContextAsync,
  type voice,
} from '@livekit/agents';

/** What `defineAgent` returns: an agent definition with its `entry`. */
type AgentDefinition = ReturnType<typeof defineAgent<Record<string, unknown>>>;

import type { Room } from '@livekit/rtc-node';

type Logger = ReturnType<typeof log>;

/** The framework's own job shutdown steps (`job_lifecycle.js`, not exported by the package). */
interface JobLifecycle {
  waitForEntrypointShutdown(entry: Promise<unknown>, logger: Logger): Promise<void>;
  finalizeSession(ctx: JobContext, onSessionEnd: undefined, timeout: number, logger: Logger): Promise<void>;
  runShutdownCallbacks(callbacks: (() => Promise<void>)[], logger: Logger): Promise<void>;
  DEFAULT_SESSION_END_TIMEOUT: number;
}

async function jobLifecycle(): Promise<JobLifecycle> {
  const entry = createRequire(import.meta.url).resolve('@livekit/agents');
  const file = join(dirname(entry), 'job_lifecycle.js');
  return (await import(pathToFileURL(file).href)) as JobLifecycle;
}

/** How long the framework waits for `entry` to return before it logs and moves on (job_lifecycle.js). */
export const ENTRYPOINT_SHUTDOWN_TIMEOUT_MS = 15_000;

export interface FakeJob {
  ctx: JobContext;
  /** The agent's `entry(ctx)`, running in the job's context as the framework runs it. */
  entry: Promise<void>;
  /** Whether `entry` has returned. */
  entryReturned(): boolean;
  /** The session `entry` started (the job's primary session, as the framework records it). */
  session(): voice.AgentSession | undefined;
  /**
   * Ends the job the way the framework's job process does (`startJob` in
   * `ipc/job_proc_lazy_main.js`): wait up to 15 s for `entry` to return, close the session,
   * run the shutdown callbacks. Resolves with what each step logged and when.
   */
  shutdown(): Promise<ShutdownReport>;
}

export interface ShutdownReport {
  /** Every warning and error the framework's shutdown steps logged. */
  problems: string[];
  /** ms from the session's close to the end of the shutdown callbacks. */
  closeToCallbacksDoneMs: number;
  /** ms the framework waited for `entry` to return. */
  entryWaitMs: number;
}

/**
 * Runs an agent definition's `entry` as a LiveKit job would, offline: a real `JobContext` (a
 * "fake job" in the framework's sense: `connect()` and uploads are no-ops) on the given room.
 */
export function startFakeJob(agent: AgentDefinition, room: Room): FakeJob {
  const info = {
    job: { id: 'AJ_test', room: { name: room.name }, enableRecording: false, attributes: {}, agentName: '' },
    acceptArguments: { name: 'agent', identity: 'agent', metadata: '' },
    url: 'ws://127.0.0.1:1',
    token: 'test',
    workerId: 'W_test',
    fakeJob: true,
  } as unknown as ConstructorParameters<typeof JobContext>[1];
  const ctx = new JobContext(
    new JobProcess(),
    info,
    room,
    () => {},
    () => {},
    {} as ConstructorParameters<typeof JobContext>[5],
  );
  let returned = false;
  const entry = runWithJobContextAsync(ctx, () => agent.entry(ctx)).then(() => {
    returned = true;
  });
  return {
    ctx,
    entry,
    entryReturned: () => returned,
    session: () => ctx._primaryAgentSession,
    async shutdown() {
      const lifecycle = await jobLifecycle();
      const problems: string[] = [];
      const base = log();
      // The framework's logger, with its warnings and errors also kept for the caller.
      const logger = new Proxy(base, {
        get(target, property, receiver) {
          if (property === 'warn' || property === 'error') {
            return (...args: unknown[]) => {
              problems.push(String(args.find((a) => typeof a === 'string') ?? ''));
              return (target[property] as (...a: unknown[]) => void)(...args);
            };
          }
          return Reflect.get(target, property, receiver);
        },
      });
      const waitStart = Date.now();
      await lifecycle.waitForEntrypointShutdown(entry, logger);
      const entryWaitMs = Date.now() - waitStart;
      let closedAt = Date.now();
      await runWithJobContextAsync(ctx, async () => {
        await lifecycle.finalizeSession(ctx, undefined, lifecycle.DEFAULT_SESSION_END_TIMEOUT, logger);
        closedAt = Date.now();
        await lifecycle.runShutdownCallbacks(ctx.shutdownCallbacks, logger);
      });
      return { problems, closeToCallbacksDoneMs: Date.now() - closedAt, entryWaitMs };
    },
  };
}
