import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/** Where the web UI is served. */
export const WEB_UI_PATH = '/ui';

/**
 * What the UI's pages may load and talk to: only Tarn's own origin (the bundle carries every script, style and font:
 * a site without internet works), no inline script, no framing by other sites.
 */
export const WEB_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite names every file under assets/ by its content's hash: a new build has new names, so browsers keep them a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files: always revalidated (ETag), so a new build is seen at once. */
const REVALIDATE = 'no-cache';

/** dist/web of the installation: the first directory above this file that holds package.json. */
export function defaultWebUiDir(): string {
  for (let dir = import.meta.dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'web');
  }
  return path.resolve('dist', 'web');
}

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', WEB_UI_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/**
 * Serves the built web UI under /ui: files of `dir` by name (hashed assets cached for good, the rest revalidated),
 * and index.html for every other path, the UI's own routes (/ui/rules, /ui/dids/...). The pages reach data only
 * through the API's routes, with the session cookie; nothing here needs a login.
 */
export function webUiMiddleware(dir: string) {
  const index = path.join(dir, 'index.html');
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    securityHeaders(res);
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send(`Tarn's web UI is not built in ${dir}: run npm run build (or set TARN_UI_DIR).\n`);
      return;
    }
    // Express strips the mount path: /ui -> '/', /ui/assets/x.js -> '/assets/x.js'. The path stays percent-encoded:
    // the bundle's names need no escapes, and sendFile decodes (and refuses '..') itself.
    const relative = req.path.replace(/^\/+/, '');
    // The bundle's files are under assets/ (and a few beside index.html); every other path is one of the UI's own
    // routes, however it ends (/ui/dids/raw/run_0001.fits), and gets index.html.
    const isFile = relative.startsWith('assets/') || (!relative.includes('/') && relative !== '' && existsSync(path.join(dir, relative)));
    if (!isFile) {
      res.sendFile('index.html', { root: dir, headers: { 'Cache-Control': REVALIDATE }, lastModified: false });
      return;
    }
    const immutable = relative.startsWith('assets/');
    res.sendFile(relative, { root: dir, dotfiles: 'deny', lastModified: false, headers: { 'Cache-Control': immutable ? IMMUTABLE : REVALIDATE } }, (error) => {
      if (error && !res.headersSent) res.status(404).type('text/plain').send(`No file ${WEB_UI_PATH}/${relative} in the web UI.\n`);
    });
  };
}
