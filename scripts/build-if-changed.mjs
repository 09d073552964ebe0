// `npm start` and `npm run migrate` build only when a source changed since the last build: `npm run build` keeps a
// fingerprint of every file the build reads (path, size, modification time) in dist/ (--record), and this compares it
// first. `npm run build` always builds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// TARN_BUILD_ROOT: another checkout (tests).
const root = process.env.TARN_BUILD_ROOT || join(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.build-fingerprint');
const SOURCES = ['apps', 'libs', 'migrations', 'scripts'].filter((dir) => existsSync(join(root, dir)));
// TypeScript and the web UI's sources (apps/web: pages, styles, its index.html).
const SOURCE_FILE = /\.(ts|tsx|json|mjs|css|html)$/;
const FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (SOURCE_FILE.test(entry.name)) out.push(path);
  }
  return out;
}

function fingerprint() {
  const files = [...SOURCES.flatMap((dir) => walk(join(root, dir), [])), ...FILES.map((f) => join(root, f)).filter(existsSync)].sort();
  const hash = createHash('sha256');
  for (const file of files) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

if (process.argv.includes('--record')) {
  // After `nest build`: what it was built from.
  writeFileSync(stamp, fingerprint());
} else {
  const built = existsSync(join(root, 'dist', 'apps', 'tarn', 'src', 'main.js')) && existsSync(join(root, 'dist', 'web', 'index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint();
  if (!built) {
    process.stdout.write('Building Tarn (its sources changed since the last build)...\n');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
}
