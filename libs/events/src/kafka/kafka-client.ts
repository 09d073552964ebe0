import { Kafka, KafkaConfig, logLevel } from 'kafkajs';

const LEVELS: Record<string, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

/**
 * A kafkajs client for Tarn's processes. kafkajs itself stays quiet (KAFKAJS_LOG_LEVEL=warn|info|debug to
 * hear it): its per-request errors during an outage would drown the one line Tarn logs per outage.
 */
export function createKafkaClient(brokers: string[], clientId: string, overrides: Partial<KafkaConfig> = {}): Kafka {
  if (brokers.length === 0) throw new Error('Kafka needs at least one broker: set KAFKA_BROKERS (for example 127.0.0.1:9092)');
  return new Kafka({
    clientId,
    brokers,
    logLevel: LEVELS[(process.env.KAFKAJS_LOG_LEVEL ?? 'nothing').toLowerCase()] ?? logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    ...overrides,
  });
}

/** Creates the topics that do not exist yet (a broker may have auto-creation off). */
export async function ensureKafkaTopics(kafka: Kafka, topics: string[], numPartitions?: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    await admin.createTopics({
      topics: missing.map((topic) => (numPartitions ? { topic, numPartitions } : { topic })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export function headersToStrings(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const v = Array.isArray(value) ? value[value.length - 1] : value;
    out[name] = typeof v === 'string' ? v : v.toString('utf8');
  }
  return out;
}
