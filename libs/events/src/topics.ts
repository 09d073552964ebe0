/** Kafka topics (and PostgreSQL bus channels) of Tarn's events, one per kind of catalogue object. */
export const TOPICS = {
  did: 'tarn.did',
  rule: 'tarn.rule',
  replica: 'tarn.replica',
  transfer: 'tarn.transfer',
  deletion: 'tarn.deletion',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const ALL_TOPICS: readonly Topic[] = Object.values(TOPICS);

export function isTopic(value: string): value is Topic {
  return (ALL_TOPICS as readonly string[]).includes(value);
}

/** Where a consumer group parks the messages of `topic` it failed to handle (`tarn.rule.dlq`). */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}
