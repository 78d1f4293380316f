import { initializeLogger } from '@livekit/agents';

// The framework logs through pino and insists on a configured logger; keep test output readable.
initializeLogger({ pretty: false, level: 'error' });
