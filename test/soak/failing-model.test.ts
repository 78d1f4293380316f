import { describe, expect, it } from 'vitest';
import { FailingLLM } from '../helpers/failing-llm.js';
import { startServer } from '../helpers/server.js';
import { TestClient, textOfTurn } from '../helpers/ws-client.js';
import { report, size } from './size.js';

describe('failing models, at volume', () => {
  it.each(['throw', 'hang'] as const)(
    'a model that %ss: partial text, a stable error, and the next message answered, every time',
    async (mode) => {
      const rounds = size(4, 25);
      const server = await startServer({
        createLLM: () => new FailingLLM(mode),
        turnTimeoutMs: 200,
        rateLimit: false,
      });
      const clients = await Promise.all([1, 2, 3].map(() => TestClient.connect(server.url)));
      await Promise.all(
        clients.map(async (client) => {
          for (let r = 0; r < rounds; r++) {
            const failed = await client.turn('fail');
            expect(textOfTurn(failed)).toBe('Partial text before the failure. ');
            expect(failed.at(-1)).toMatchObject({
              type: 'error',
              code: mode === 'throw' ? 'run_failed' : 'turn_timeout',
            });
            const next = await client.turn('ok');
            expect(textOfTurn(next)).toBe('All good now.');
            expect(next.at(-1)?.type).toBe('result');
          }
        }),
      );
      report(`failing model (${mode})`, { turns: rounds * 2 * clients.length, allAnswered: true });
    },
    300_000,
  );
});
