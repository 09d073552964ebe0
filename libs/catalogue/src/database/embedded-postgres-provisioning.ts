import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import type { EmbeddedCredentials } from './embedded-postgres-credentials.js';

export const CATALOGUE_DATABASE = 'tarn';

/** Clusters made by earlier versions of Tarn: superuser tarn with the password tarn, password or trust logins. */
export const LEGACY_SUPERUSER = { user: 'tarn', password: 'tarn' };

/** Only password (SCRAM) logins, over the loopback only: no Unix socket, no trust, no other host. */
const PG_HBA = `# Written by Tarn at every start: password (SCRAM) logins over the loopback only.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
`;

/** Server settings of the embedded cluster, also stored in it, so that it stays closed when started by hand. */
export const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  password_encryption: 'scram-sha-256',
};

export async function connect(port: number, user: string, password: string, database = 'postgres'): Promise<Client> {
  const client = new Client({ host: '127.0.0.1', port, user, password, database, application_name: 'tarn-setup' });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const ident = (client: Client, name: string) => client.escapeIdentifier(name);
const literal = (client: Client, text: string) => client.escapeLiteral(text);

/** Everything in the schema public that is not the catalogue role's becomes its (catalogues migrated by a superuser). */
const TAKE_OVER_SCHEMA = (role: string) => `
DO $$
DECLARE r record;
BEGIN
  EXECUTE format('ALTER SCHEMA public OWNER TO %I', '${role}');
  FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
              AND c.relowner <> '${role}'::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.name, '${role}');
  END LOOP;
  -- Sequences of columns moved with their tables; the others now.
  FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
            WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND c.relowner <> '${role}'::regrole LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, '${role}');
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure AS name, p.prokind FROM pg_proc p
            WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '${role}'::regrole LOOP
    EXECUTE format('ALTER %s %s OWNER TO %I', CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.name, '${role}');
  END LOOP;
  FOR r IN SELECT t.oid::regtype AS name FROM pg_type t
            WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd') AND t.typowner <> '${role}'::regrole LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO %I', r.name, '${role}');
  END LOOP;
END $$`;

/**
 * Brings a running cluster to what Tarn expects, whatever version of Tarn made it (idempotent, at every start): the
 * passwords of the credentials, the catalogue role without any privilege beyond its database (no SUPERUSER, CREATEDB,
 * CREATEROLE, REPLICATION or BYPASSRLS) owning that database and all in it, nobody else allowed to connect to it,
 * and only SCRAM password logins over the loopback (pg_hba.conf, reloaded).
 */
export async function provisionCluster(superuser: Client, credentials: EmbeddedCredentials, port: number, dataDir: string): Promise<void> {
  const role = ident(superuser, credentials.role);
  await superuser.query(`ALTER ROLE ${ident(superuser, credentials.superuser)} PASSWORD ${literal(superuser, credentials.superuserPassword)}`);
  const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${literal(superuser, credentials.password)}`;
  const roleExists = (await superuser.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [credentials.role])).rowCount! > 0;
  await superuser.query(`${roleExists ? 'ALTER' : 'CREATE'} ROLE ${role} ${roleExists ? 'WITH ' : ''}${attributes}`);
  const databaseExists = (await superuser.query('SELECT 1 FROM pg_database WHERE datname = $1', [CATALOGUE_DATABASE])).rowCount! > 0;
  if (!databaseExists) await superuser.query(`CREATE DATABASE ${ident(superuser, CATALOGUE_DATABASE)} OWNER ${role}`);
  else await superuser.query(`ALTER DATABASE ${ident(superuser, CATALOGUE_DATABASE)} OWNER TO ${role}`);
  await superuser.query(`REVOKE ALL ON DATABASE ${ident(superuser, CATALOGUE_DATABASE)} FROM PUBLIC`);
  for (const [name, value] of Object.entries(SERVER_SETTINGS)) await superuser.query(`ALTER SYSTEM SET ${name} = ${literal(superuser, value)}`);

  const catalogue = await connect(port, credentials.superuser, credentials.superuserPassword, CATALOGUE_DATABASE);
  try {
    await catalogue.query(TAKE_OVER_SCHEMA(credentials.role));
  } finally {
    await catalogue.end();
  }

  const hba = path.join(dataDir, 'pg_hba.conf');
  if (fs.readFileSync(hba, 'utf8') !== PG_HBA) {
    const { uid, gid } = fs.statSync(dataDir);
    fs.writeFileSync(hba, PG_HBA, { mode: 0o600 });
    if (process.getuid?.() === 0) fs.chownSync(hba, uid, gid);
  }
  await superuser.query('SELECT pg_reload_conf()');
}
