/** Settings of the event backbone beyond TarnConfig's eventBus and kafkaBrokers, read from the environment. */
export interface EventsSettings {
  /** TARN_KAFKA_TOPIC_PREFIX: prepended to Kafka topic and group names (several deployments on one cluster). */
  topicPrefix: string;
  /** TARN_EVENT_BUS_PARTITIONS: partitions per topic of the PostgreSQL bus (default 1). */
  busPartitions: number;
  /**
   * TARN_KAFKA_SESSION_TIMEOUT_SECONDS: a consumer silent this long (a killed process) leaves its group, and its
   * partitions go to the others (default 30; the broker accepts 6 to 300 by default).
   */
  kafkaSessionTimeoutMs: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} must be a positive integer`);
  return value;
}

export function loadEventsSettings(env: NodeJS.ProcessEnv = process.env): EventsSettings {
  const topicPrefix = env.TARN_KAFKA_TOPIC_PREFIX ?? '';
  if (!/^[A-Za-z0-9._-]*$/.test(topicPrefix)) {
    throw new Error(`TARN_KAFKA_TOPIC_PREFIX=${topicPrefix} may only contain letters, digits, '.', '_' and '-' (Kafka topic names)`);
  }
  return {
    topicPrefix,
    busPartitions: positiveInt(env, 'TARN_EVENT_BUS_PARTITIONS', 1),
    kafkaSessionTimeoutMs: positiveInt(env, 'TARN_KAFKA_SESSION_TIMEOUT_SECONDS', 30) * 1000,
  };
}
