import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';

/** Paths that belong to the API and its tools, never to the portal. */
const API_PREFIXES = ['/v1/', '/v1', '/docs', '/docs-json', '/health', '/metrics'];

/**
 * The portal's Content-Security-Policy: scripts, styles, fonts and connections only from this origin, nothing
 * inline, no frames, no plugins. Images may be data:/blob: URLs (QR codes, a photo of a receipt read in the page).
 */
export const PORTAL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/**
 * Serves the built portal (Vite's output) at `/`: hashed assets under `/assets/` cached for a year, every other
 * GET that is not an API path answered with `index.html` (the app routes itself: deep links work). Answers 404
 * problem+json for API paths as before, since it never handles them. Nothing happens if the portal is not built.
 */
export function portalMiddleware(dir: string | undefined): ((req: Request, res: Response, next: NextFunction) => void) | undefined {
  if (!dir || !existsSync(join(dir, 'index.html'))) return undefined;
  const index = readFileSync(join(dir, 'index.html'));
  // the page is revalidated on every visit (no-cache): its tag, computed once, lets the browser keep its copy (304);
  // the API's answers carry none (create-app.ts turns Express's per-body ETag off)
  const indexTag = `"${createHash('sha256').update(index).digest('base64url').slice(0, 27)}"`;
  const assets = express.static(dir, { index: false, fallthrough: true, maxAge: '365d', immutable: true, redirect: false });
  const pageHeaders = (res: Response) => {
    res.setHeader('Content-Security-Policy', PORTAL_CSP);
    res.setHeader('Permissions-Policy', 'camera=(self), microphone=(), geolocation=()');
    res.setHeader('Referrer-Policy', 'no-referrer');
  };
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isApiPath(req.path)) return next();
    pageHeaders(res);
    if (req.path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(req.path)) {
      return assets(req, res, () => {
        // a missing asset is a 404, not the app (a stale tab asking for an old chunk must fail visibly)
        if (req.path.startsWith('/assets/')) return res.status(404).type('text/plain').send('Not found');
        sendIndex(res);
      });
    }
    sendIndex(res);
  };

  function sendIndex(res: Response): void {
    res.status(200).setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', indexTag);
    res.type('html').send(index);
  }
}
