import xxhash, { XXHash, XXHashAPI } from 'xxhash-wasm';
import { Checksummer } from './checksummer.js';

let api: Promise<XXHashAPI> | undefined;

/** Compiles the WebAssembly module on first use only; every caller after that shares it. */
export function loadXxhash(): Promise<XXHashAPI> {
  api ??= xxhash().catch((error: unknown) => {
    api = undefined;
    throw error;
  });
  return api;
}

/** XXH64 with seed 0, the variant Rucio stores. */
export class Xxh64Checksummer implements Checksummer {
  readonly algorithm = 'xxh64';

  private constructor(private readonly hasher: XXHash<bigint>) {}

  static async create(): Promise<Xxh64Checksummer> {
    return new Xxh64Checksummer((await loadXxhash()).create64(0n));
  }

  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
  }

  digest(): string {
    return this.hasher.digest().toString(16).padStart(16, '0');
  }
}
