// Module hooks that run Tarn's TypeScript sources directly in a child process (no build): `@tarn/<lib>`
// paths resolve to libs/<lib>/src, `./x.js` imports to `./x.ts`, and .ts files are transpiled (no type check).
// Transpiled files are cached by content under node_modules/.cache/tarn-ts, so the many processes a test starts
// transpile each file once.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

export async function resolve(specifier, context, next) {
  const lib = /^@tarn\/([a-z-]+)(?:\/(.+))?$/.exec(specifier);
  if (lib) {
    const rel = lib[2] ? lib[2].replace(/\.js$/, '.ts') : 'index.ts';
    return { url: pathToFileURL(path.join(root, 'libs', lib[1], 'src', rel)).href, shortCircuit: true };
  }
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

function transpile(source, fileName) {
  return ts.transpileModule(source, {
    fileName,
    compilerOptions: { ...compilerOptions, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const source = await readFile(fileName, 'utf8');
  salt ??= JSON.parse(readFileSync(path.join(root, 'node_modules/typescript/package.json'), 'utf8')).version + JSON.stringify(compilerOptions);
  const cached = path.join(cacheDir, `${createHash('sha1').update(salt).update(fileName).update('\0').update(source).digest('hex')}.js`);
  if (existsSync(cached)) return { format: 'module', source: readFileSync(cached, 'utf8'), shortCircuit: true };
  ts ??= (await import('typescript')).default;
  const output = transpile(source, fileName);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, output);
    renameSync(partial, cached);
  } catch {
    // A read-only tree: no cache, same result.
  }
  return { format: 'module', source: output, shortCircuit: true };
}
