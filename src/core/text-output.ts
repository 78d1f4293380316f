import { voice } from '@livekit/agents';

/**
 * The framework's `TextOutput`, typed from the public surface: `AgentSession.output.transcription`
 * is declared as `TextOutput | null`, so this is the real class type, not a copy of it.
 */
export type TextOutput = NonNullable<voice.AgentSession['output']['transcription']>;
export type TimedString = voice.TimedString;

type TextOutputConstructor = abstract new (nextInChain?: TextOutput) => TextOutput;

const EXPECTED_NAME = 'TextOutput';

/**
 * `@livekit/agents` 1.9 does not export `TextOutput` from its entry point and its `exports` map
 * blocks deep imports. Every text sink it does export extends the real class, so we take the class
 * from the prototype chain of one of them. Reaching it in one place keeps the workaround
 * replaceable the day the framework exports it.
 */
function resolveTextOutput(): TextOutputConstructor {
  const exported = (voice as Record<string, unknown>)[EXPECTED_NAME];
  if (isTextOutputClass(exported)) return exported;

  // 'Paralell' is the framework's own spelling in 1.9; the corrected name is tried first.
  for (const name of ['ParallelTextOutput', 'ParalellTextOutput']) {
    const subclass = (voice as Record<string, unknown>)[name];
    if (typeof subclass !== 'function') continue;
    const parent: unknown = Object.getPrototypeOf(subclass);
    if (isTextOutputClass(parent)) return parent;
  }

  throw new Error(
    'livekit-streaming-text: cannot find the TextOutput class in @livekit/agents ' +
      '(looked for voice.TextOutput and the parent of voice.ParalellTextOutput). ' +
      'This version of @livekit/agents moved it; please report it with the installed version.',
  );
}

function isTextOutputClass(value: unknown): value is TextOutputConstructor {
  return (
    typeof value === 'function' &&
    value.name === EXPECTED_NAME &&
    typeof value.prototype?.onAttached === 'function' &&
    typeof value.prototype?.onDetached === 'function'
  );
}

export const TextOutputBase: TextOutputConstructor = resolveTextOutput();

export const isTimedString: (value: unknown) => value is TimedString = voice.isTimedString;
