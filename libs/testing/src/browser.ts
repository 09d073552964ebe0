import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT } from './repo-root.js';

/** Debian's chromium (scripts/services/chromium.sh installs it); TARN_CHROMIUM names another. */
export const CHROMIUM = process.env.TARN_CHROMIUM || '/usr/bin/chromium';

/**
 * Flags for headless Chromium on a machine without internet: no background connections to Google's services (they
 * would be refused, many at a time), no GPU, no first-run work. The sandbox is off because tests run as root.
 */
const FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-sandbox'];

/** A real headless Chromium driven by playwright-core (which never downloads a browser of its own). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The web UI's tests need Chromium at ${CHROMIUM}: run scripts/services/chromium.sh install (npm test does), or set TARN_CHROMIUM.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/** The web UI built from its sources with Vite into a directory of its own (what TARN_UI_DIR serves). */
export async function buildWebUi(): Promise<{ dir: string; drop(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tarn-web-'));
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(REPO_ROOT, 'apps/web/vite.config.ts')],
      { cwd: REPO_ROOT, env: { ...process.env, TARN_UI_OUT_DIR: dir }, timeout: 120_000 },
      (error, stdout, stderr) => (error ? reject(new Error(`vite build failed: ${error.message}\n${stdout}\n${stderr}`)) : resolve()),
    ),
  );
  return { dir, drop: () => rmSync(dir, { recursive: true, force: true }) };
}
