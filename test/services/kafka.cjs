/**
 * Makes sure a real Apache Kafka broker answers before the tests run (called from jest's globalSetup).
 * Uses the broker at KAFKA_BROKERS (default 127.0.0.1:9092); if none answers, starts one with
 * scripts/services/kafka.sh and checks again. Tests need real Kafka: no broker is an error, never a skip.
 * CommonJS (.cjs, the package is "type": "module"), for the .cjs jest globalSetup.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { Kafka, logLevel } = require('kafkajs');

const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'services', 'kafka.sh');

async function kafkaAnswers(brokers) {
  const admin = new Kafka({
    clientId: 'tarn-test-setup',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 5000,
    retry: { retries: 1, initialRetryTime: 200 },
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** @param {{ ci?: boolean }} [options] */
async function ensureKafka({ ci } = {}) {
  if (!process.env.KAFKA_BROKERS) process.env.KAFKA_BROKERS = '127.0.0.1:9092';
  const brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
  if (await kafkaAnswers(brokers)) return;

  // Only a local broker can be started here; the script's port follows the first broker's port.
  const [host, port] = brokers[0].split(':');
  const local = ['127.0.0.1', 'localhost'].includes(host);
  if (local) {
    process.stderr.write(`Kafka does not answer at ${brokers.join(',')}; starting it with ${SCRIPT}${ci ? ' (CI)' : ''}\n`);
    const res = spawnSync('bash', [SCRIPT, 'start'], {
      stdio: ['ignore', process.stderr, process.stderr],
      env: { ...process.env, KAFKA_PORT: port || '9092' },
    });
    if (res.status === 0 && (await kafkaAnswers(brokers))) return;
  }
  throw new Error(
    `Apache Kafka is required by the tests but does not answer at ${brokers.join(',')}. ` +
      (local
        ? 'Starting it with "bash scripts/services/kafka.sh start" failed (see the output above; it needs Java 17+ and Maven).'
        : 'Start that broker, or unset KAFKA_BROKERS to use a local one started by scripts/services/kafka.sh.'),
  );
}

module.exports = { ensureKafka };
