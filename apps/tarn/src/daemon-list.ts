/**
 * Every daemon of Tarn, once. Embedded mode runs their modules (daemon-modules.ts); in scale-out mode each runs as
 * its own process (`node dist/apps/<app>/src/main.js`), as many instances as you like. docker-compose.yml, the
 * Helm chart (deploy/helm/tarn), the pm2 file (deploy/pm2) and the topology test are built from or checked
 * against this list, so that no deployment forgets a daemon. Plain data: no Nest, no imports.
 */
export interface DaemonApp {
  /** The daemon's name: heartbeat `executable`, metrics `daemon` label, compose service, chart Deployment `tarn-<name>`. */
  readonly name: string;
  /** Its folder under apps/: the process is `node dist/apps/<app>/src/main.js`. */
  readonly app: string;
  /** What it does, in one line. */
  readonly does: string;
}

export const DAEMONS = [
  { name: 'messenger', app: 'messenger', does: 'publishes the event outbox to Kafka, in order, and prunes it' },
  { name: 'rule-evaluator', app: 'rule-evaluator', does: 'gives files attached to (or detached from) DIDs with rules their locks and transfers' },
  { name: 'rule-injector', app: 'rule-injector', does: 'evaluates large and asynchronous rules in chunks' },
  { name: 'rule-repairer', app: 'rule-repairer', does: 'retries STUCK locks with back-off, elsewhere if need be' },
  { name: 'rule-cleaner', app: 'rule-cleaner', does: 'deletes expired rules; removes moved rules once their child is OK' },
  { name: 'undertaker', app: 'undertaker', does: 'removes expired DIDs that no locked rule protects' },
  { name: 'transfer-submitter', app: 'transfer-submitter', does: 'picks a source for each queued transfer, throttled per RSE and activity' },
  { name: 'transfer-worker', app: 'transfer-worker', does: 'copies submitted transfers, verified at the destination' },
  { name: 'transfer-finisher', app: 'transfer-finisher', does: 'makes copied replicas AVAILABLE and locks OK, or retries from another source' },
  { name: 'replica-registrar', app: 'replica-registrar', does: 'verifies announced replicas on storage; re-copies bad ones' },
  { name: 'reaper', app: 'reaper', does: 'deletes tombstoned replicas from storage' },
  { name: 'auditor', app: 'auditor', does: 'compares storage with the catalogue: dark data, missing replicas, usage' },
  { name: 'ingester', app: 'ingester', does: 'runs the cron ingestion hooks' },
  { name: 'transmogrifier', app: 'subscriptions', does: 'gives new DIDs matching a subscription its rules' },
  { name: 'kronos', app: 'kronos', does: "applies client traces: replicas' and DIDs' last access, lifetimes extended on access" },
] as const satisfies readonly DaemonApp[];

export type DaemonName = (typeof DAEMONS)[number]['name'];

/** The other processes of a deployment: the API (as many as you like) and the one-shot catalogue migration. */
export const API_APP = 'api';
