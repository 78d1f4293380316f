/**
 * The public surface, name by name. SURFACE is the list a user can hold in their head: what they
 * call, the options they pass, what they read, and the errors and codes they compare against.
 * Adding or removing an export fails here until the list (and the README's "API at a glance") says so.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PackedProject, packedProject, root, sh } from './helpers/packed-project.js';
import { guides } from './readme/documents.js';

/** Every exported name per subpath; `type ` marks a name that exists only as a type. */
const SURFACE: Record<string, string[]> = {
  'livekit-streaming-text': [
    'type AttachOptions',
    'BufferOverflowError',
    'type StreamEvent',
    'StreamingTextOutput',
    'type StreamingTextOutputOptions',
    'StreamReader',
    'type TextCompleteEvent',
    'type TextDeltaEvent',
    'type TextEvent',
    'type TextOutput',
    'type ToolCallEvent',
    'type ToolOutputEvent',
    'type ToolStepEvent',
  ],
  'livekit-streaming-text/server': [
    'type ClientFrame',
    'CLOSE_CODES',
    'type ConnectionContext',
    'createStreamingServer',
    'ERROR_CODES',
    'type ErrorCode',
    'type FrameLog',
    'MemoryFrameLog',
    'type MemoryFrameLogOptions',
    'runWorkers',
    'type RunWorkersOptions',
    'type ServerFrame',
    'type SessionStore',
    'type StreamingServer',
    'type StreamingServerOptions',
  ],
  'livekit-streaming-text/client': [
    'CLIENT_CLOSE_CODE',
    'CLIENT_ERROR_CODES',
    'type ClientErrorCode',
    'type ClientStatus',
    'CLOSE_CODES',
    'type CompleteFrame',
    'type DeltaFrame',
    'ERROR_CODES',
    'type ErrorCode',
    'type ResultEvent',
    'type ResultFrame',
    'type ResumeOutcome',
    'StreamingAgentClient',
    'type StreamingAgentClientOptions',
    'StreamingClientError',
    'type ToolCallFrame',
    'type ToolOutputFrame',
    'type TranscriptItem',
    'type TurnErrorFrame',
    'type TurnFrame',
  ],
  'livekit-streaming-text/react': [
    'type AgentStatus',
    'type AgentTurn',
    'HOOK_COALESCE_MS',
    'Paragraphs',
    'StreamingText',
    'type StreamingTextProps',
    'type TextPart',
    'type ToolPart',
    'type TurnPart',
    'type TurnStatus',
    'useParagraphs',
    'useStreamingAgent',
    'type UseStreamingAgentOptions',
    'type UseStreamingAgentResult',
  ],
  'livekit-streaming-text/ai-sdk': [
    'type AISDKChats',
    'type AISDKChatsOptions',
    'CHAT_ERRORS',
    'type ChatSessionContext',
    'createAISDKChats',
  ],
  'livekit-streaming-text/redis': [
    'RedisFrameLog',
    'type RedisFrameLogOptions',
    'RedisSessionStore',
    'type RedisSessionStoreOptions',
  ],
  'livekit-streaming-text/demo': ['createDemoAgent', 'DemoLLM', 'type DemoLLMOptions', 'weatherTool'],
};

const bare = (name: string) => name.replace(/^type /, '');
const byName = (a: string, b: string) => bare(a).localeCompare(bare(b));
const values = (subpath: string) => SURFACE[subpath]!.filter((n) => !n.startsWith('type '));

describe('the public surface of the built package, per subpath', () => {
  let packed: PackedProject;
  /** What the compiler sees exported, through the package's `exports`: `import` and `require` conditions. */
  const declared: Record<'esm' | 'cjs', Record<string, string[]>> = { esm: {}, cjs: {} };

  beforeAll(async () => {
    packed = await packedProject({
      type: 'module',
      dependencies: ['@livekit/agents', '@livekit/rtc-node', 'react', '@types/node'],
    });
    const imports = Object.keys(SURFACE)
      .map((subpath, i) => `import * as m${i} from '${subpath}';\nexport { m${i} };`)
      .join('\n');
    writeFileSync(join(packed.project, 'surface.mts'), imports);
    writeFileSync(join(packed.project, 'surface.cts'), imports);
    const program = ts.createProgram(
      [join(packed.project, 'surface.mts'), join(packed.project, 'surface.cts')],
      {
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
      },
    );
    const checker = program.getTypeChecker();
    for (const [format, file] of [
      ['esm', 'surface.mts'],
      ['cjs', 'surface.cts'],
    ] as const) {
      const source = program.getSourceFile(join(packed.project, file))!;
      for (const statement of source.statements) {
        if (!ts.isImportDeclaration(statement)) continue;
        const subpath = (statement.moduleSpecifier as ts.StringLiteral).text;
        const module = checker.getSymbolAtLocation(statement.moduleSpecifier);
        expect(module, `${subpath} resolves for ${format}`).toBeDefined();
        declared[format][subpath] = checker
          .getExportsOfModule(module!)
          .map((symbol) => {
            const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
            return target.flags & ts.SymbolFlags.Value ? symbol.name : `type ${symbol.name}`;
          })
          .sort(byName);
      }
    }
  }, 300_000);

  // A whole node_modules: async, with time for a loaded machine.
  afterAll(() => (packed ? rm(packed.work, { recursive: true, force: true }) : undefined), 120_000);

  it.each(Object.keys(SURFACE))('%s declares exactly the listed names (ESM and CommonJS)', (subpath) => {
    const listed = [...SURFACE[subpath]!].sort(byName);
    expect(declared.esm[subpath], 'update SURFACE in test/exports.test.ts, and the README').toEqual(listed);
    expect(declared.cjs[subpath]).toEqual(listed);
  });

  it('at run time, import and require give exactly the listed values', async () => {
    // /ai-sdk loads the optional peer `ai`, which this project does not install: its values are
    // checked by the declarations above and by the AI SDK tests.
    const subpaths = Object.keys(SURFACE).filter((s) => !s.endsWith('/ai-sdk'));
    const script = `
      const { createRequire } = require('node:module');
      const subpaths = ${JSON.stringify(subpaths)};
      (async () => {
        const out = {};
        for (const s of subpaths) out[s] = { esm: Object.keys(await import(s)), cjs: Object.keys(require(s)) };
        console.log(JSON.stringify(out));
      })();`;
    writeFileSync(join(packed.project, 'runtime.cjs'), script);
    const { stdout } = await sh(process.execPath, ['runtime.cjs'], packed.project);
    const runtime: Record<string, { esm: string[]; cjs: string[] }> = JSON.parse(
      stdout.trim().split('\n').at(-1)!,
    );
    for (const subpath of subpaths) {
      const listed = values(subpath).sort(byName);
      expect(runtime[subpath]!.esm.filter((k) => k !== 'default').sort(byName), subpath).toEqual(listed);
      expect(runtime[subpath]!.cjs.sort(byName), subpath).toEqual(listed);
    }
  }, 120_000);

  it('ships no declaration marked @internal (stripInternal)', () => {
    const dist = join(packed.project, 'node_modules/livekit-streaming-text/dist');
    const declarations = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) =>
      /\.d\.c?ts$/.test(f),
    );
    expect(declarations.length).toBeGreaterThan(0);
    for (const file of declarations)
      expect(readFileSync(join(dist, file), 'utf8'), file).not.toContain('@internal');
  });
});

describe('the README documents every exported name', () => {
  /** The "API at a glance" table: one row per subpath, its names in backticks. */
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const glance = readme.slice(readme.indexOf('## API at a glance'));
  const rows = new Map(
    [
      ...glance.slice(0, glance.indexOf('\n\n', glance.indexOf('|'))).matchAll(/^\| `([^`]+)` \|(.*)\|$/gm),
    ].map((m) => [m[1]!, [...m[2]!.matchAll(/`([A-Za-z_]\w*)`/g)].map((n) => n[1]!)] as const),
  );

  it('"API at a glance" has one row per subpath, listing exactly its exported names', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(SURFACE).sort());
    for (const [subpath, names] of Object.entries(SURFACE)) {
      expect([...new Set(rows.get(subpath))].sort(), subpath).toEqual(names.map(bare).sort());
    }
  });

  it('and each name is explained in a guide (or the README) beyond that table', () => {
    const text = [
      readme.replace(glance.slice(0, glance.indexOf('\n\n', glance.indexOf('|'))), ''),
      ...guides().map((g) => g.text),
    ].join('\n');
    const missing = Object.values(SURFACE)
      .flat()
      .map(bare)
      .filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
    expect(missing).toEqual([]);
  });
});
