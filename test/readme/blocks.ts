/**
 * What each TypeScript block of README.md and of the guides in docs/ assumes, keyed by
 * `<heading> #<n>` (n counts the ts/tsx blocks under that heading; a guide's keys start with its
 * path, `docs/server.md: `). test/readme.test.ts extracts every block, writes it into a fresh project
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

const SESSION = "import type { voice } from '@livekit/agents';\ndeclare const session: voice.AgentSession;";
const AGENT_FACTORIES = [
  "import { createStreamingServer, type StreamingServerOptions } from 'livekit-streaming-text/server';",
  "declare const createAgent: StreamingServerOptions['createAgent'];",
  "declare const createLLM: StreamingServerOptions['createLLM'];",
].join('\n');

export const readmeBlocks: Record<string, BlockSetup> = {
  // README.md
  'Attach in one line #1': { prelude: SESSION, commonjs: true },
  'WebSocket: server and client #1': { commonjs: true },
  'WebSocket: server and client #2': {
    prelude: 'declare function render(text: string): void;',
    commonjs: true,
  },
  'React #1': {},
  'AI SDK: `useChat` #1': {},
  'In a room: a worker #1': { prelude: SESSION, commonjs: true },

  // docs/output.md
  'docs/output.md: Attach in one line #1': { prelude: SESSION, commonjs: true },
  'docs/output.md: A complete example, offline #1': {
    run: (stdout) => {
      expect(stdout).toContain(
        'generation 1 complete: "Hi! I stream my replies a few characters at a time."',
      );
      expect(stdout).toContain('generation 3 complete: "It is sunny in Paris today."');
      expect(stdout).toContain('run finished with 4 events');
    },
  },
  'docs/output.md: Options and events #1': {
    prelude: "import type { TextOutput } from 'livekit-streaming-text';",
    epilogue: `import type * as pkg from 'livekit-streaming-text';\n${SAME}\nexport const readmeShowsTheRealOptions: Same<StreamingTextOutputOptions, pkg.StreamingTextOutputOptions> = true;`,
  },
  'docs/output.md: Options and events #2': {
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
  // Types follow the runtime default: text events only unless tool steps were asked for (issue 19).
  'docs/output.md: Which events a reader yields #1': {
    prelude: `${SESSION}\ndeclare function use(text: string): void;`,
    epilogue: [
      "import type * as pkg from 'livekit-streaming-text';",
      SAME,
      'type Yields<O> = O extends StreamingTextOutput<infer E> ? E : never;',
      'const withSteps = StreamingTextOutput.attach(session, { toolSteps: true });',
      'export const readerTypes: [',
      '  Same<Yields<typeof output>, pkg.TextEvent>,',
      '  Same<Yields<typeof withSteps>, pkg.StreamEvent>,',
      '] = [true, true];',
    ].join('\n'),
    commonjs: true,
  },
  'docs/output.md: Tool steps #1': {
    prelude: [SESSION, "import { StreamingTextOutput } from 'livekit-streaming-text';"].join('\n'),
    commonjs: true,
  },

  // docs/room.md
  'docs/room.md: Text as it is spoken #1': { prelude: SESSION, commonjs: true },

  // docs/server.md
  'docs/server.md: Create a server #1': { commonjs: true },
  'docs/server.md: Every core: `runWorkers` #1': {
    prelude: [
      "import type { StreamingServerOptions } from 'livekit-streaming-text/server';",
      "declare const createAgent: StreamingServerOptions['createAgent'];",
      "declare const createLLM: StreamingServerOptions['createLLM'];",
    ].join('\n'),
  },

  // docs/resume.md
  'docs/resume.md: Several processes, one Redis #1': { prelude: AGENT_FACTORIES },

  // docs/client.md
  'docs/client.md: Client: `StreamingAgentClient` #1': {
    prelude: 'declare function render(text: string): void;',
    commonjs: true,
  },
  'docs/client.md: React: `useStreamingAgent` #1': {},
  'docs/client.md: Parts #1': {},

  // docs/ai-sdk.md
  'docs/ai-sdk.md: The server #1': {},
  'docs/ai-sdk.md: On the page #1': {},
  'docs/ai-sdk.md: Stop and regenerate #1': {},
  'docs/ai-sdk.md: Across processes #1': {
    prelude: [
      "import type { AISDKChatsOptions } from 'livekit-streaming-text/ai-sdk';",
      "declare const createAgent: AISDKChatsOptions['createAgent'];",
      "declare const createLLM: AISDKChatsOptions['createLLM'];",
    ].join('\n'),
  },
};
