// Module hooks that run Tarn's TypeScript sources directly in a child process (no build): `@tarn/<lib>`
// paths resolve to libs/<lib>/src, `./x.js` imports to `./x.ts`, and .ts files are transpiled (ts-transpile.mjs).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transpiled } from './ts-transpile.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

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

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  return { format: 'module', source: await transpiled(fileName, await readFile(fileName, 'utf8')), shortCircuit: true };
}
