// Transpiles Tarn's TypeScript sources for child processes (ts-hooks.mjs), with a cache by content under
// node_modules/.cache/tarn-ts, so that the many processes a test starts transpile each file once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cacheDir = path.join(root, 'node_modules/.cache/tarn-ts');
const compilerOptions = {
  module: 'ESNext',
  target: 'ES2022',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  isolatedModules: true,
  inlineSourceMap: true,
};
let ts;
let salt;

/** The JavaScript of a TypeScript file (its source given), from the cache or transpiled now (no type check). */
export async function transpiled(fileName, source) {
  salt ??= JSON.parse(readFileSync(path.join(root, 'node_modules/typescript/package.json'), 'utf8')).version + JSON.stringify(compilerOptions);
  const cached = path.join(cacheDir, `${createHash('sha1').update(salt).update(fileName).update('\0').update(source).digest('hex')}.js`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  ts ??= (await import('typescript')).default;
  const output = ts.transpileModule(source, {
    fileName,
    compilerOptions: { ...compilerOptions, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, output);
    renameSync(partial, cached);
  } catch {
    // A read-only tree: no cache, same result.
  }
  return output;
}

/** Fills the cache with every source file of apps/ and libs/ (tests and specs aside) before processes start. */
export async function warmTranspileCache() {
  for (const top of ['apps', 'libs']) {
    for (const entry of readdirSync(path.join(root, top), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts') || entry.name.endsWith('.d.ts')) continue;
      const fileName = path.join(entry.parentPath, entry.name);
      await transpiled(fileName, readFileSync(fileName, 'utf8'));
    }
  }
}
