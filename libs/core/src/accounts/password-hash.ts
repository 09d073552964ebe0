import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
/** Refuse stored parameters beyond this cost, so a tampered row cannot make a login exhaust memory. */
const MAX_COST = 2 ** 20;

/**
 * Hashes at once, at most. scrypt runs on libuv's thread pool (4 threads), which also does the file system, DNS
 * lookups and the PostgreSQL driver's SCRAM handshake: a thousand logins at once must not hold every thread for a
 * minute, or a new database connection waits past the server's authentication_timeout. Further hashes wait here.
 */
const HASHES_AT_ONCE = 2;
let hashing = 0;
const waiting: Array<() => void> = [];

async function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  if (hashing < HASHES_AT_ONCE) hashing++;
  else await new Promise<void>((turn) => waiting.push(turn)); // the slot is handed over by the hash that ends
  try {
    return await new Promise((resolve, reject) =>
      scryptCallback(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
    );
  } finally {
    const next = waiting.shift();
    if (next) next();
    else hashing--;
  }
}

const memoryFor = (cost: number, blockSize: number) => 256 * cost * blockSize;

/** A slow, salted hash of a password: `scrypt$N$r$p$salt$hash` (salt and hash base64). Runs off the event loop. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, KEY_LENGTH, { N: COST, r: BLOCK_SIZE, p: PARALLELISM, maxmem: memoryFor(COST, BLOCK_SIZE) });
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Whether `password` matches `stored`, compared in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [cost, blockSize, parallelism] = parts.slice(1, 4).map(Number);
  const valid = (n: number, max: number) => Number.isSafeInteger(n) && n > 0 && n <= max;
  if (!valid(cost, MAX_COST) || (cost & (cost - 1)) !== 0 || !valid(blockSize, 64) || !valid(parallelism, 16)) return false;
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (expected.length === 0) return false;
  const actual = await scrypt(password, salt, expected.length, {
    N: cost,
    r: blockSize,
    p: parallelism,
    maxmem: memoryFor(cost, blockSize),
  });
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * A hash to verify against when the identity does not exist, so that a failed login takes as long whether the
 * username was wrong or the password.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
