import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const GATE = resolve(import.meta.dirname, '../../scripts/build-if-changed.mjs');

/** `npm start` builds only when a source changed since the last build (scripts/build-if-changed.mjs), on a checkout of its own. */
describe('npm start: no build when nothing changed', () => {
  let root: string;
  const builds = () => Number(readFileSync(join(root, 'builds'), 'utf8'));
  const start = () => execFileSync(process.execPath, [GATE], { env: { ...process.env, TARN_BUILD_ROOT: root }, encoding: 'utf8' });

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tarn-build-'));
    mkdirSync(join(root, 'apps'));
    writeFileSync(join(root, 'apps', 'main.ts'), 'export const a = 1;\n');
    mkdirSync(join(root, 'apps', 'web'));
    writeFileSync(join(root, 'apps', 'web', 'page.tsx'), 'export const P = () => null;\n');
    writeFileSync(join(root, 'builds'), '0');
    // A build that counts itself, makes the entry point and records what it was built from, as `npm run build` does.
    const build = `node -e "const f=require('fs');f.writeFileSync('builds',String(Number(f.readFileSync('builds','utf8'))+1));f.mkdirSync('dist/apps/tarn/src',{recursive:true});f.writeFileSync('dist/apps/tarn/src/main.js','');f.mkdirSync('dist/web',{recursive:true});f.writeFileSync('dist/web/index.html','')" && node ${GATE} --record`;
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'gate-test', private: true, scripts: { build } }));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds on the first start and after a change, never twice for the same sources', () => {
    expect(start()).toContain('Building Tarn (its sources changed since the last build)');
    expect(builds()).toBe(1);
    expect(start()).toBe('');
    expect(builds()).toBe(1);
    const later = new Date(Date.now() + 5000);
    utimesSync(join(root, 'apps', 'main.ts'), later, later);
    start();
    expect(builds()).toBe(2);
    writeFileSync(join(root, 'apps', 'new.ts'), 'export const b = 2;\n');
    start();
    expect(builds()).toBe(3);
    expect(start()).toBe('');
    expect(builds()).toBe(3);
    // The web UI's sources count too, and a build without the web UI is no build.
    writeFileSync(join(root, 'apps', 'web', 'styles.css'), 'body { margin: 0; }\n');
    start();
    expect(builds()).toBe(4);
    rmSync(join(root, 'dist', 'web'), { recursive: true });
    start();
    expect(builds()).toBe(5);
    expect(start()).toBe('');
  });
});
