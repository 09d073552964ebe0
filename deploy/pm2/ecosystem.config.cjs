// Tarn in scale-out mode on one host without Docker, under pm2 (https://pm2.keymetrics.io): the API and every daemon
// of apps/tarn/src/daemon-list.ts as its own process (a test checks this file against that list), restarted when it
// dies. Each daemon serves its health and metrics on a free port (TARN_METRICS_PORT=0), told in its heartbeat.
//
//   npm ci && npm run build
//   export DATABASE_URL=postgres://tarn:secret@127.0.0.1:5432/tarn KAFKA_BROKERS=127.0.0.1:9092
//   node dist/scripts/migrate.js
//   npx pm2 start deploy/pm2/ecosystem.config.cjs      # pm2 ls, pm2 logs tarn-reaper, pm2 scale tarn-transfer-worker 4
//
// DATABASE_URL, KAFKA_BROKERS and any TARN_* knob are taken from the environment pm2 is started in.
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

/** [daemon name, its folder under apps/, instances] */
const DAEMONS = [
  ['messenger', 'messenger', 1],
  ['rule-evaluator', 'rule-evaluator', 2],
  ['rule-injector', 'rule-injector', 1],
  ['rule-repairer', 'rule-repairer', 1],
  ['rule-cleaner', 'rule-cleaner', 1],
  ['undertaker', 'undertaker', 1],
  ['transfer-submitter', 'transfer-submitter', 2],
  ['transfer-worker', 'transfer-worker', 2],
  ['transfer-finisher', 'transfer-finisher', 1],
  ['replica-registrar', 'replica-registrar', 2],
  ['reaper', 'reaper', 2],
  ['auditor', 'auditor', 1],
  ['ingester', 'ingester', 1],
  ['transmogrifier', 'subscriptions', 1],
  ['kronos', 'kronos', 1],
];

const common = {
  cwd: root,
  exec_mode: 'fork',
  // SIGTERM lets a daemon finish the item in hand and remove its heartbeat; it is killed after a minute.
  kill_timeout: 60_000,
  // A process that keeps dying is restarted ever more slowly (up to 15 s), not in a tight loop.
  exp_backoff_restart_delay: 500,
  time: true,
};

module.exports = {
  apps: [
    { ...common, name: 'tarn-api', script: 'dist/apps/api/src/main.js', instances: 1, env: { TARN_HOST: '127.0.0.1', TARN_PORT: '8080' } },
    ...DAEMONS.map(([name, app, instances]) => ({
      ...common,
      name: `tarn-${name}`,
      script: `dist/apps/${app}/src/main.js`,
      instances,
      env: { TARN_METRICS_PORT: '0' },
    })),
  ],
};
