import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The console's Content-Security-Policy. Scripts only from paymux itself (no 'unsafe-inline', no eval,
 * no CDN). `style-src 'unsafe-inline'` is unavoidable: Mantine writes its theme variables into a
 * <style> element at run time and sets `style="…"` attributes from component props, which no nonce or
 * hash can cover. Images may be data: URIs (Mantine's inline SVG icons).
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** console/dist from the source tree (src/admin) or the compiled one (dist/src/admin). */
export function consoleDistDir(from: string = __dirname): string {
  const candidates = [resolve(from, '../../console/dist'), resolve(from, '../../../console/dist')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0];
}

/**
 * Serve the console (a Vite build in console/dist) at /admin: hashed files under /admin/assets/ with a
 * year's immutable cache, index.html (no-cache, the console's CSP) for every other /admin/* path so the
 * single-page app's own routes load. Before `npm run build` there is no index.html: /admin says so (404).
 */
export async function serveConsole(fastify: FastifyInstance, dir: string = consoleDistDir()): Promise<void> {
  await fastify.register(fastifyStatic, {
    root: join(dir, 'assets'),
    prefix: '/admin/assets/',
    decorateReply: false,
    index: false,
    // The folder may appear after start-up (a build while running): look files up per request.
    wildcard: true,
    immutable: true,
    maxAge: '365d',
  });
  let indexHtml: Buffer | undefined;
  const sendIndex = (reply: FastifyReply): FastifyReply => {
    if (!indexHtml) {
      const file = join(dir, 'index.html');
      if (!existsSync(file))
        return reply
          .code(404)
          .type('text/plain; charset=utf-8')
          .send('The console is not built: run `npm run build`.\n');
      indexHtml = readFileSync(file);
    }
    return reply
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', CONSOLE_CSP)
      .type('text/html; charset=utf-8')
      .send(indexHtml);
  };
  fastify.get('/admin', (_req, reply) => sendIndex(reply));
  fastify.get('/admin/*', (_req, reply) => sendIndex(reply));
}
