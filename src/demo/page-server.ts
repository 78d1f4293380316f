import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { BAD_TARGET, parseTarget, refuseRequest } from '../gate/index.js';

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="#2b5cff"/></svg>';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));

const aiSdkDir = fileURLToPath(new URL('./ai-sdk/', import.meta.url));

/**
 * Bundles a browser page (React, the hook and the client) in memory with esbuild: a file, or source
 * text whose imports resolve from `resolveDir`. `dev`: React's development build, unminified.
 */
export async function bundleForBrowser(
  entry: { file: string } | { source: string; resolveDir: string },
  dev = false,
): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    ...('file' in entry
      ? { entryPoints: [entry.file] }
      : { stdin: { contents: entry.source, resolveDir: entry.resolveDir } }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    jsx: 'automatic',
    minify: !dev,
    define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A demo page's bundle; DEMO_DEV=1 serves React's development build, with its warnings, unminified. */
const bundlePage = (file = `${publicDir}app.tsx`) =>
  bundleForBrowser({ file }, Boolean(process.env.DEMO_DEV));

/**
 * The `/ai-sdk` page (`useChat` over `WebSocketChatTransport`), bundled on its first request so the
 * main page's start does not wait for the AI SDK. 404 when the optional `ai` peers are missing.
 */
function aiSdkPage(): (path: string) => Promise<[string, string] | undefined> {
  let page: Promise<Record<string, [string, string]>> | undefined;
  const load = async () => {
    try {
      const [html, js] = await Promise.all([
        readFile(`${aiSdkDir}index.html`, 'utf8'),
        bundlePage(`${aiSdkDir}app.tsx`),
      ]);
      return {
        '/ai-sdk': ['text/html; charset=utf-8', html],
        '/ai-sdk.js': ['text/javascript; charset=utf-8', js],
      } as Record<string, [string, string]>;
    } catch (error) {
      console.warn('The /ai-sdk page is off (install ai and @ai-sdk/react for it):', String(error));
      return {};
    }
  };
  return async (path) => {
    if (path !== '/ai-sdk' && path !== '/ai-sdk.js') return undefined;
    page ??= load();
    return (await page)[path];
  };
}

/** An HTTP server for the page: `/` and `/app.js`. The WebSocket server attaches to it at `/ws`. */
export async function createPageServer(): Promise<Server> {
  const [html, css, js] = await Promise.all([
    readFile(`${publicDir}index.html`, 'utf8'),
    readFile(`${publicDir}styles.css`, 'utf8'),
    bundlePage(),
  ]);
  const aiSdk = aiSdkPage();
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', html],
    '/styles.css': ['text/css; charset=utf-8', css],
    '/app.js': ['text/javascript; charset=utf-8', js],
    '/favicon.ico': ['image/svg+xml', FAVICON],
  };
  return createServer(async (request, response) => {
    // The one gate's parser: a target such as `//` must never throw out of this listener.
    const path = parseTarget(request.url)?.path;
    if (path === undefined) return refuseRequest(response, ...BAD_TARGET);
    const file = files[path] ?? (await aiSdk(path));
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
