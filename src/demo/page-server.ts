import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));

/** Bundles the chat page (React, the hook and the client) in memory with esbuild. */
async function bundlePage(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [`${publicDir}app.tsx`],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    minify: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** An HTTP server for the page: `/` and `/app.js`. The WebSocket server attaches to it at `/ws`. */
export async function createPageServer(): Promise<Server> {
  const [html, css, js] = await Promise.all([
    readFile(`${publicDir}index.html`, 'utf8'),
    readFile(`${publicDir}styles.css`, 'utf8'),
    bundlePage(),
  ]);
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', html],
    '/styles.css': ['text/css; charset=utf-8', css],
    '/app.js': ['text/javascript; charset=utf-8', js],
  };
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file = files[path];
    if (request.method !== 'GET' || file === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
      return;
    }
    response
      .writeHead(200, {
        'Content-Type': file[0],
        'Cache-Control': 'no-store',
        'Content-Security-Policy': "default-src 'self'; connect-src 'self' ws: wss:",
      })
      .end(file[1]);
  });
}
