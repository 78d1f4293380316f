import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { PrimaryStores, shareStoresWithPrimary } from '../session/stores/cluster.js';

/** What each worker's `start` returns: something listening on a port, that can be closed. */
export interface WorkerServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface RunWorkersOptions<T extends WorkerServer> {
  /** Worker processes to run. Default: `os.availableParallelism()` (one per core). */
  workers?: number;
  /**
   * Runs in every worker: start the server there (e.g. `createStreamingServer({ port: 8765, ... })`).
   * All workers listen on the same port; the primary hands each new connection to one of them.
   * A WebSocket stays on the worker that accepted it. A server given no `frameLog` and no
   * `sessionStore` shares the primary's (over the cluster's IPC channel): a client that reconnects
   * to another worker resumes its session there, so no sticky sessions are needed.
   */
  start: () => Promise<T> | T;
  /** Start a new worker when one crashes (exits with an error code or a signal). Default true. */
  respawn?: boolean;
}

/** In the primary: the workers, the port they share, and a way to stop them all. */
export interface PrimaryHandle {
  readonly isPrimary: true;
  /** The port every worker listens on (as the first ready worker reported it). */
  readonly port: number;
  /** Process ids of the workers running now. */
  readonly pids: number[];
  /** Asks every worker to close its server and exit; resolves once all have exited. */
  close(): Promise<void>;
}

/** In a worker: the server its `start` returned. The primary decides when it closes. */
export interface WorkerHandle<T> {
  readonly isPrimary: false;
  readonly server: T;
}

type ToPrimary = { type: 'lkst:ready'; port: number } | { type: 'lkst:failed'; message: string };
const SHUTDOWN = 'lkst:shutdown';

/**
 * Runs `start` in N worker processes that share one port (`node:cluster`), so the server uses every
 * core: one Node process runs JavaScript on one core. Call it at the top level of your entry script;
 * the script runs again in each worker, where `runWorkers` calls `start` instead of forking.
 *
 * Resolves in the primary once every worker listens (rejects if one fails to start), and in a
 * worker once its server is up. SIGINT/SIGTERM in the primary are yours to handle: call `close()`.
 */
export async function runWorkers<T extends WorkerServer>(
  options: RunWorkersOptions<T>,
): Promise<PrimaryHandle | WorkerHandle<T>> {
  const { workers, respawn } = validate(options);
  return cluster.isPrimary ? runPrimary(workers, respawn) : runWorker(options.start);
}

function validate<T extends WorkerServer>(options: RunWorkersOptions<T>) {
  if (typeof options?.start !== 'function') {
    throw new TypeError(`runWorkers: \`start\` must be a function, received ${typeof options?.start}`);
  }
  const workers = options.workers ?? availableParallelism();
  if (typeof workers !== 'number') {
    throw new TypeError(`runWorkers: \`workers\` must be a number, received ${typeof workers}`);
  }
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`runWorkers: \`workers\` must be an integer ≥ 1, received ${workers}`);
  }
  // JavaScript runs on one core per process: past a few per core, more workers only cost memory,
  // and a typo such as 1e9 would fork until the machine refuses.
  const most = 4 * availableParallelism();
  if (workers > most) {
    throw new RangeError(
      `runWorkers: \`workers\` must be at most ${most} (4 per core on this machine), received ${workers}`,
    );
  }
  const respawn = options.respawn ?? true;
  if (typeof respawn !== 'boolean') {
    throw new TypeError(`runWorkers: \`respawn\` must be a boolean, received ${typeof respawn}`);
  }
  return { workers, respawn };
}

async function runWorker<T extends WorkerServer>(start: () => Promise<T> | T): Promise<WorkerHandle<T>> {
  let server: T;
  shareStoresWithPrimary();
  try {
    server = await start();
  } catch (error) {
    process.send!({ type: 'lkst:failed', message: String(error) } satisfies ToPrimary);
    // Let the message reach the primary before exiting.
    setTimeout(() => process.exit(1), 100).unref();
    throw error;
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
  };
  process.on('message', (message) => {
    if (message === SHUTDOWN) stop();
  });
  // The primary has gone (killed, crashed): nobody will hand us connections any more.
  cluster.worker?.on('disconnect', stop);
  // Ctrl+C in a terminal reaches the whole process group; the primary decides, and tells us.
  process.on('SIGINT', () => undefined);
  // A process manager stopping this worker alone: close its connections, exit cleanly.
  process.on('SIGTERM', stop);
  process.send!({ type: 'lkst:ready', port: server.port } satisfies ToPrimary);
  return { isPrimary: false, server };
}

async function runPrimary(count: number, respawn: boolean): Promise<PrimaryHandle> {
  const running = new Set<Worker>();
  let closing = false;
  let port = 0;
  // The frame log and session store every worker's server shares, unless given its own.
  const stores = new PrimaryStores();

  const fork = () =>
    new Promise<void>((resolve, reject) => {
      const worker = cluster.fork();
      running.add(worker);
      stores.serve(worker);
      let ready = false;
      worker.on('message', (message: ToPrimary) => {
        if (message?.type === 'lkst:ready') {
          ready = true;
          port ||= message.port;
          resolve();
        } else if (message?.type === 'lkst:failed') {
          reject(new Error(`runWorkers: a worker failed to start: ${message.message}`));
        }
      });
      worker.on('exit', (code, signal) => {
        running.delete(worker);
        if (!ready) reject(new Error(`runWorkers: a worker exited before it listened (${signal ?? code})`));
        // Only a crash of a worker that had come up is replaced: one that cannot start would loop
        // forever, and one that exited cleanly was stopped on purpose.
        else if (respawn && !closing && (code !== 0 || signal !== null)) fork().catch(() => undefined);
      });
    });

  const close = async () => {
    closing = true;
    const exits = [...running].map((w) => new Promise((resolve) => w.once('exit', resolve)));
    for (const worker of running) {
      if (worker.isConnected()) worker.send(SHUTDOWN);
      else worker.kill();
    }
    await Promise.all(exits);
  };

  try {
    await Promise.all(Array.from({ length: count }, fork));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    isPrimary: true,
    get port() {
      return port;
    },
    get pids() {
      return [...running].map((w) => w.process.pid!).filter((pid) => pid !== undefined);
    },
    close,
  };
}
