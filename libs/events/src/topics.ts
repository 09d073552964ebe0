/** Kafka topics (and PostgreSQL bus channels) of Tarn's events, one per kind of catalogue object. */
export const TOPICS = {
  did: 'tarn.did',
  rule: 'tarn.rule',
  replica: 'tarn.replica',
  transfer: 'tarn.transfer',
  deletion: 'tarn.deletion',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];
