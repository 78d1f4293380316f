import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'server/index': 'src/server/index.ts',
    'client/index': 'src/client/index.ts',
    'react/index': 'src/react/index.ts',
    'ai-sdk/index': 'src/ai-sdk/index.ts',
    'demo/index': 'src/demo/index.ts',
    'stores/redis': 'src/session/stores/redis.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  // Peers stay peers: bundling them would give users a second copy of the framework's classes.
  external: [
    '@livekit/agents',
    '@livekit/rtc-node',
    '@livekit/agents-plugin-openai',
    'react',
    'ws',
    'zod',
    'ai',
    '@ai-sdk/react',
    'ioredis',
  ],
});
