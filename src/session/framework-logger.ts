import { initializeLogger, loggerOptions } from '@livekit/agents';

/**
 * The framework throws "logger not initialized" from inside `new AgentSession()` unless the app
 * called `initializeLogger()` first. A server that fails every connection for that is a poor
 * first run, so we initialize it (errors only: the framework warns on every ordinary session close) when the
 * app has not.
 */
export function ensureFrameworkLogger(): void {
  if (loggerOptions() === undefined) initializeLogger({ pretty: false, level: 'error' });
}
