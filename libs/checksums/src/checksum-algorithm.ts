/** Checksum algorithms as Rucio names them in its catalogue and on the wire. */
export type ChecksumAlgorithm = 'adler32' | 'md5' | 'xxh64';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['adler32', 'md5', 'xxh64'];

/** Lowercase hex digests of the algorithms asked for, and how many bytes were read. */
export type ChecksumResult = { [A in ChecksumAlgorithm]?: string } & { bytes: number };

export function isChecksumAlgorithm(name: string): name is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);
}

/** Algorithm names often come from configuration or requests, so they are checked at runtime too. */
export function assertChecksumAlgorithms(names: readonly string[]): asserts names is readonly ChecksumAlgorithm[] {
  const unknown = names.filter((name) => !isChecksumAlgorithm(name));
  if (unknown.length > 0) {
    throw new TypeError(
      `Unknown checksum algorithm(s): ${unknown.join(', ')}. Use one of: ${CHECKSUM_ALGORITHMS.join(', ')}.`,
    );
  }
}
