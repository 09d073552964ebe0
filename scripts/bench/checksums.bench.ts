/**
 * `npm run bench:checksums [-- --size-mb N]` (or CHECKSUM_BENCH_MB=N): throughput of checksumFile per algorithm
 * and for all three in one pass, against the limit of reading the same file the same way and discarding it.
 * The file (1 GiB by default) is kept in the temp directory and reused by later runs.
 * It runs the compiled build, so it measures the code Tarn runs.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChecksumAlgorithm, checksumFile, ChecksumResult, FILE_READ_CHUNK } from '@tarn/checksums';

const RUNS = 3;
const MIB = 1024 * 1024;

interface Measurement {
  name: string;
  /** Minimum ratio to plain read; missing it fails the run. */
  goal?: number;
  run: (path: string) => Promise<ChecksumResult>;
}

const checksums = (algorithms: ChecksumAlgorithm[]) => (path: string) => checksumFile(path, algorithms);

const MEASUREMENTS: Measurement[] = [
  { name: 'plain read', run: plainRead },
  { name: 'adler32', goal: 0.3, run: checksums(['adler32']) },
  { name: 'md5', run: checksums(['md5']) },
  { name: 'xxh64', goal: 0.5, run: checksums(['xxh64']) },
  { name: 'adler32+md5+xxh64', run: checksums(['adler32', 'md5', 'xxh64']) },
];

async function main(): Promise<void> {
  const sizeMb = sizeFromArgs();
  const path = await ensureFile(sizeMb);
  const size = sizeMb * MIB;
  await plainRead(path); // warms the page cache so every measurement reads from memory

  const best = new Map<string, number>();
  const results = new Map<string, ChecksumResult>();
  // Rounds interleave the measurements so a burst of load from elsewhere does not hit one of them three times.
  for (let round = 0; round < RUNS; round++) {
    for (const measurement of MEASUREMENTS) {
      const started = process.hrtime.bigint();
      const result = await measurement.run(path);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (result.bytes !== size) {
        throw new Error(`${measurement.name} read ${result.bytes} bytes of ${size} in ${path}`);
      }
      best.set(measurement.name, Math.min(best.get(measurement.name) ?? Infinity, seconds));
      results.set(measurement.name, result);
    }
  }
  checkOnePassAgrees(results);

  const limit = size / 1e6 / best.get('plain read')!;
  console.log(
    `checksums bench: ${sizeMb} MiB file ${path}, ${FILE_READ_CHUNK / 1024} KiB reads, best of ${RUNS},` +
      ` Node ${process.version}`,
  );
  console.log(`${'measurement'.padEnd(20)}${'MB/s'.padStart(8)}${'x read'.padStart(9)}  goal`);
  const missed: string[] = [];
  for (const { name, goal } of MEASUREMENTS) {
    const mbPerSecond = size / 1e6 / best.get(name)!;
    const ratio = mbPerSecond / limit;
    let verdict = name === 'plain read' ? '(the limit)' : '';
    if (goal !== undefined) {
      verdict = `>= ${goal.toFixed(2)}x ${ratio >= goal ? 'ok' : 'MISSED'}`;
      if (ratio < goal) missed.push(`${name} at ${ratio.toFixed(2)}x of plain read (goal ${goal}x)`);
    }
    console.log(`${name.padEnd(20)}${mbPerSecond.toFixed(0).padStart(8)}${ratio.toFixed(2).padStart(8)}x  ${verdict}`);
  }
  if (missed.length > 0) {
    console.error(`goal missed: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
}

async function plainRead(path: string): Promise<ChecksumResult> {
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: FILE_READ_CHUNK })) {
    bytes += (chunk as Buffer).length;
  }
  return { bytes };
}

/** The single pass must give what each algorithm gives alone, or its speed means nothing. */
function checkOnePassAgrees(results: Map<string, ChecksumResult>): void {
  const together = results.get('adler32+md5+xxh64')!;
  for (const algorithm of ['adler32', 'md5', 'xxh64'] as const) {
    const alone = results.get(algorithm)![algorithm];
    if (together[algorithm] !== alone) {
      throw new Error(`${algorithm} differs between one pass (${together[algorithm]}) and alone (${alone})`);
    }
  }
}

function sizeFromArgs(): number {
  const args = process.argv.slice(2);
  const flag = args.findIndex((arg) => arg === '--size-mb' || arg.startsWith('--size-mb='));
  const raw = flag < 0 ? process.env.CHECKSUM_BENCH_MB ?? '1024' : args[flag].split('=')[1] ?? args[flag + 1];
  const sizeMb = Number(raw);
  if (!Number.isInteger(sizeMb) || sizeMb < 1) {
    throw new Error(`The file size is a whole number of MiB (--size-mb N or CHECKSUM_BENCH_MB=N), not '${raw}'.`);
  }
  return sizeMb;
}

/** Random content, written under a temporary name first so an interrupted run never leaves a short file to reuse. */
async function ensureFile(sizeMb: number): Promise<string> {
  const path = join(tmpdir(), `tarn-checksums-bench-${sizeMb}mb.bin`);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size === sizeMb * MIB) return path;

  console.log(`writing ${sizeMb} MiB to ${path} ...`);
  const partial = `${path}.${process.pid}.partial`;
  const file = await open(partial, 'w');
  try {
    const block = randomBytes(16 * MIB);
    for (let written = 0; written < sizeMb * MIB; written += block.length) {
      await file.write(block, 0, Math.min(block.length, sizeMb * MIB - written));
    }
  } finally {
    await file.close();
  }
  await rename(partial, path);
  return path;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
