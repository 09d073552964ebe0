// Starts (or finds) the services the tests need: PostgreSQL, Kafka, the S3, WebDAV and XRootD servers, Chromium for the web UI, and promtool. With
// CI=true a service that cannot be reached fails the run; it is never skipped.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { ensureKafka } = require('./services/kafka.cjs');
const { ensureStorageServers } = require('./services/storage.cjs');
const { ensureChromium } = require('./services/chromium.cjs');

const root = path.resolve(__dirname, '..');

function ensurePostgres() {
  if (process.env.TARN_TEST_DATABASE_URL) return;
  const script = path.join(root, 'scripts/services/postgres.sh');
  try {
    execFileSync('bash', [script, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    throw new Error(`PostgreSQL is required by the tests and did not start (${script} start): ${error.message}`);
  }
  process.env.TARN_TEST_DATABASE_URL = execFileSync('bash', [script, 'url'], { encoding: 'utf8' }).trim();
}

/** promtool, for the alert rules' unit tests (scripts/tools/promtool.sh fetches it once from Debian's package). */
function ensurePromtool({ ci }) {
  try {
    execFileSync('bash', [path.join(root, 'scripts/tools/promtool.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch (error) {
    if (ci) throw new Error(`promtool is required by the tests and could not be fetched (scripts/tools/promtool.sh): ${error.message}`);
  }
}

module.exports = async () => {
  ensurePostgres();
  const ci = process.env.CI === 'true';
  ensureChromium({ ci });
  ensurePromtool({ ci });
  await Promise.all([ensureKafka({ ci }), ensureStorageServers({ ci })]);
};
