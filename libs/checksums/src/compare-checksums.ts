import { CHECKSUM_ALGORITHMS, ChecksumAlgorithm } from './checksum-algorithm.js';

/** Digests as a catalogue or a storage system reports them; null or '' means not known. */
export type KnownChecksums = { [A in ChecksumAlgorithm]?: string | null };

export interface ChecksumComparison {
  /** Algorithms known on both sides, in CHECKSUM_ALGORITHMS order. */
  compared: ChecksumAlgorithm[];
  mismatched: ChecksumAlgorithm[];
  /** At least one algorithm compared and none mismatched; nothing in common is not a match. */
  matches: boolean;
}

export function compareChecksums(expected: KnownChecksums, actual: KnownChecksums): ChecksumComparison {
  const compared: ChecksumAlgorithm[] = [];
  const mismatched: ChecksumAlgorithm[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const want = expected[algorithm];
    const got = actual[algorithm];
    if (!want || !got) continue;
    compared.push(algorithm);
    if (normalise(algorithm, want) !== normalise(algorithm, got)) mismatched.push(algorithm);
  }
  return { compared, mismatched, matches: compared.length > 0 && mismatched.length === 0 };
}

function normalise(algorithm: ChecksumAlgorithm, digest: string): string {
  const hex = digest.trim().toLowerCase();
  // Some sites store adler32 as an unpadded number, e.g. 'e60398' for '00e60398'.
  return algorithm === 'adler32' ? hex.padStart(8, '0') : hex;
}
