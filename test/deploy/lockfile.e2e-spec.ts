/**
 * Installs are reproducible on every platform: `npm ci` (CI, the image, anyone's checkout) installs exactly the
 * lockfile, and refuses one that lacks a package some platform needs ("Missing: ... from lock file"). A lockfile
 * written by `npm install` on one machine can keep only that machine's native binaries; this names any optional
 * dependency (the per-platform binaries of esbuild-like packages) that the lockfile does not resolve.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

interface LockedPackage {
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
}

/** The dependencies (`optional` or all) of locked packages that no lockfile entry resolves, as Node.js looks them up. */
function unresolved(packages: Record<string, LockedPackage>, which: 'optionalDependencies' | 'dependencies'): string[] {
  const missing: string[] = [];
  for (const [path, pkg] of Object.entries(packages)) {
    for (const dep of Object.keys(pkg[which] ?? {})) {
      let base = path;
      for (;;) {
        if (packages[`${base ? `${base}/` : ''}node_modules/${dep}`]) break;
        if (!base) {
          missing.push(`${path || 'tarn'} -> ${dep}`);
          break;
        }
        const up = base.lastIndexOf('/node_modules/');
        base = up < 0 ? '' : base.slice(0, up);
      }
    }
  }
  return missing;
}

describe('package-lock.json', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, LockedPackage> };

  it('resolves every dependency, and every platform-specific optional one, of every locked package', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(unresolved(lock.packages, 'dependencies')).toEqual([]);
    expect(unresolved(lock.packages, 'optionalDependencies')).toEqual([]);
  });

  it('names a platform binary that a lockfile lost', () => {
    const [path] = Object.keys(lock.packages).filter((p) => /\/@unrs\/resolver-binding-darwin-arm64$/.test(p));
    expect(path).toBeDefined();
    const lost = { ...lock.packages };
    delete lost[path];
    expect(unresolved(lost, 'optionalDependencies')).toEqual([expect.stringMatching(/-> @unrs\/resolver-binding-darwin-arm64$/)]);
  });

  it('is the one the root package.json asks for', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const root = lock.packages[''] as LockedPackage & { devDependencies?: Record<string, string>; engines?: unknown };
    expect(root.dependencies).toEqual(manifest.dependencies);
    expect(root.devDependencies).toEqual(manifest.devDependencies);
    expect(root.engines).toEqual(manifest.engines);
  });
});
