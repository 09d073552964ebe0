import * as path from 'node:path';

/** True when this code runs compiled (under dist/, as the benchmarks do), false from the sources (tests). */
export const COMPILED = import.meta.url.endsWith('.js');

/** The repository's top directory, from the sources (libs/testing/src) or from dist/libs/testing/src. */
export const REPO_ROOT = path.resolve(import.meta.dirname, COMPILED ? '../../../..' : '../../..');
