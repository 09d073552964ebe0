import { Adler32Checksummer } from './adler32.checksummer.js';
import { assertChecksumAlgorithms, ChecksumAlgorithm, ChecksumResult } from './checksum-algorithm.js';
import { Checksummer } from './checksummer.js';
import { Md5Checksummer } from './md5.checksummer.js';
import { Xxh64Checksummer } from './xxh64.checksummer.js';

export async function createChecksummer(algorithm: ChecksumAlgorithm): Promise<Checksummer> {
  switch (algorithm) {
    case 'adler32':
      return new Adler32Checksummer();
    case 'md5':
      return new Md5Checksummer();
    case 'xxh64':
      return Xxh64Checksummer.create();
  }
}

/** Several checksums of the same bytes, fed in one pass, plus the byte count. */
export class ChecksumSet {
  private bytes = 0;

  private constructor(private readonly checksummers: readonly Checksummer[]) {}

  static async create(algorithms: readonly string[]): Promise<ChecksumSet> {
    assertChecksumAlgorithms(algorithms);
    const unique = [...new Set(algorithms)];
    return new ChecksumSet(await Promise.all(unique.map(createChecksummer)));
  }

  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    for (const checksummer of this.checksummers) checksummer.update(chunk);
  }

  result(): ChecksumResult {
    const result: ChecksumResult = { bytes: this.bytes };
    for (const checksummer of this.checksummers) result[checksummer.algorithm] = checksummer.digest();
    return result;
  }
}
