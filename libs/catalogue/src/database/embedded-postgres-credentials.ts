import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The passwords of the embedded PostgreSQL, generated on first start and kept in `$TARN_HOME` (mode 0600). */
export interface EmbeddedCredentials {
  /** The cluster's superuser, for setting the cluster up only: `postgres` (or `tarn`, in clusters of earlier versions). */
  superuser: string;
  superuserPassword: string;
  /** The role Tarn itself connects as: it owns the catalogue database, and is no superuser. */
  role: string;
  password: string;
}

export const CATALOGUE_ROLE = 'tarn_catalogue';
export const CREDENTIALS_FILE = 'postgres-credentials.json';

const newPassword = () => randomBytes(24).toString('base64url');

export function newCredentials(superuser: string): EmbeddedCredentials {
  return { superuser, superuserPassword: newPassword(), role: CATALOGUE_ROLE, password: newPassword() };
}

/** The credentials kept in `home`, or null before the first start; a file others may read is closed first (0600). */
export function readCredentials(home: string, log: (line: string) => void): EmbeddedCredentials | null {
  const file = path.join(home, CREDENTIALS_FILE);
  if (!fs.existsSync(file)) return null;
  if ((fs.statSync(file).mode & 0o077) !== 0) {
    fs.chmodSync(file, 0o600);
    log(`${file} was readable by others; it is 0600 now`);
  }
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<EmbeddedCredentials>;
  for (const key of ['superuser', 'superuserPassword', 'role', 'password'] as const) {
    if (typeof parsed[key] !== 'string' || parsed[key] === '') throw new Error(`${file} has no ${key}: restore it from a backup, or move TARN_HOME aside to start afresh.`);
  }
  return parsed as EmbeddedCredentials;
}

/** Writes the credentials where only this user may read them, atomically (a crash leaves the old file or the new one). */
export function writeCredentials(home: string, credentials: EmbeddedCredentials): void {
  const file = path.join(home, CREDENTIALS_FILE);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}
