/**
 * What each TypeScript block of README.md assumes, keyed by `<heading> #<n>` (n counts the ts/tsx
 * blocks under that heading). test/readme.test.ts extracts every block, writes it into a fresh project
 * that installed the packed tarball, and type-checks it as a user would (`strict`, `module: nodenext`,
 * `"type": "module"`, `skipLibCheck` as the README says).
 *
 * Adding a block to the README? The test fails until it has an entry here. Give it what a fragment
 * leaves out (`declare const session: voice.AgentSession;`) in `prelude`, never in the README.
 */
import { expect } from 'vitest';

export interface BlockSetup {
  /** Code put before the block: declarations of what the fragment takes for granted. */
  prelude?: string;
  /** Code put after it: checks that what the block shows is the package's real type. */
  epilogue?: string;
  /** Also type-check it as CommonJS (imports become `require`, the body goes into an async function). */
  commonjs?: boolean;
  /** Run the compiled block with node in the fresh project; this checks its stdout. */
  run?: (stdout: string) => void;
}

/** `true` only when A and B are the same type: a README block that shows a type must show all of it. */
const SAME =
  'type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;';

export const readmeBlocks: Record<string, BlockSetup> = {
  'Attach in one line #1': {
    prelude: "import type { voice } from '@livekit/agents';\ndeclare const session: voice.AgentSession;",
    commonjs: true,
  },
  'A complete example, offline #1': {
    run: (stdout) => {
      expect(stdout).toContain(
        'generation 1 complete: "Hi! I stream my replies a few characters at a time."',
      );
      expect(stdout).toContain('generation 3 complete: "It is sunny in Paris today."');
      expect(stdout).toContain('run finished with 4 events');
    },
  },
  'Text as it is spoken #1': {
    prelude: "import type { voice } from '@livekit/agents';\ndeclare const session: voice.AgentSession;",
    commonjs: true,
  },
  'API: `StreamingTextOutput` #3': {
    prelude: [
      "import type { voice } from '@livekit/agents';",
      "import { StreamingTextOutput } from 'livekit-streaming-text';",
      'declare const session: voice.AgentSession;',
    ].join('\n'),
    commonjs: true,
  },
  'API: `StreamingTextOutput` #1': {
    prelude: "import type { TextOutput } from 'livekit-streaming-text';",
    epilogue: `import type * as pkg from 'livekit-streaming-text';\n${SAME}\nexport const readmeShowsTheRealOptions: Same<StreamingTextOutputOptions, pkg.StreamingTextOutputOptions> = true;`,
  },
  'API: `StreamingTextOutput` #2': {
    epilogue: [
      "import type * as pkg from 'livekit-streaming-text';",
      SAME,
      'export const readmeShowsTheRealEvents: [',
      '  Same<TextDeltaEvent, pkg.TextDeltaEvent>,',
      '  Same<TextCompleteEvent, pkg.TextCompleteEvent>,',
      '  Same<ToolCallEvent, pkg.ToolCallEvent>,',
      '  Same<ToolOutputEvent, pkg.ToolOutputEvent>,',
      '  Same<StreamEvent, pkg.StreamEvent>,',
      '] = [true, true, true, true, true];',
    ].join('\n'),
  },
  'Server: `createStreamingServer` #1': { commonjs: true },
  'Every core: `runWorkers` #1': {
    prelude: [
      "import type { StreamingServerOptions } from 'livekit-streaming-text/server';",
      "declare const createAgent: StreamingServerOptions['createAgent'];",
      "declare const createLLM: StreamingServerOptions['createLLM'];",
    ].join('\n'),
  },
  'Several processes, one Redis #1': {
    prelude: [
      "import { createStreamingServer, type StreamingServerOptions } from 'livekit-streaming-text/server';",
      "declare const createAgent: StreamingServerOptions['createAgent'];",
      "declare const createLLM: StreamingServerOptions['createLLM'];",
    ].join('\n'),
  },
  'Client: `StreamingAgentClient` #1': {
    prelude: 'declare function render(text: string): void;',
    commonjs: true,
  },
  'React: `useStreamingAgent` #1': {},
  'React: `useStreamingAgent` #2': {},
  'AI SDK: `useChat` talks to a LiveKit agent #1': {},
  'AI SDK: `useChat` talks to a LiveKit agent #2': {},
  'AI SDK: `useChat` talks to a LiveKit agent #3': {},
};
