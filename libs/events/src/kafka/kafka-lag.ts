import { hostname } from 'node:os';
import type { Kafka } from 'kafkajs';
import { createKafkaClient } from './kafka-client.js';
import { ALL_TOPICS } from '../topics.js';

/** How far one consumer group is behind on one topic, summed over the partitions it has committed offsets on. */
export interface KafkaGroupLag {
  /** Without the deployment's prefix: a daemon's name. */
  group: string;
  /** Tarn's topic name, without the prefix. */
  topic: string;
  behind: number;
  /** Consumers in the group now. */
  members: number;
  /** The group's state at the broker: Stable, PreparingRebalance, CompletingRebalance, or Empty (nobody reads: the lag only grows). */
  state: string;
}

export interface KafkaState {
  /** Tarn's topics (with the prefix) that the broker does not have. */
  missingTopics: string[];
  lags: KafkaGroupLag[];
}

/**
 * Tarn's topics and consumer groups as the brokers see them: which topics are missing, and the lag (high watermark less
 * committed offset) on each topic of each of `groups` (Tarn's consumer groups: its daemons' names) that the brokers
 * know, in a handful of admin requests whatever the traffic and whatever else shares the cluster. Groups with no offset
 * on Tarn's topics are left out.
 */
export async function readKafkaState(kafka: Kafka, prefix: string, groups: readonly string[]): Promise<KafkaState> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = ALL_TOPICS.map((t) => prefix + t);
    const missingTopics = ours.filter((t) => !existing.has(t));
    const present = ours.filter((t) => existing.has(t));
    const highs = new Map<string, Map<number, number>>();
    for (const topic of present) {
      highs.set(topic, new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])));
    }
    const wanted = new Set(groups.map((g) => prefix + g));
    const groupIds = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => wanted.has(id));
    const described = groupIds.length > 0 ? (await admin.describeGroups(groupIds)).groups : [];
    const lags: KafkaGroupLag[] = [];
    for (const groupId of groupIds) {
      const group = described.find((g) => g.groupId === groupId);
      const members = group?.members.length ?? 0;
      const state = group?.state ?? 'Unknown';
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: present })) {
        const high = highs.get(topic);
        const committed = partitions.filter((p) => Number(p.offset) >= 0);
        if (!high || committed.length === 0) continue;
        const behind = committed.reduce((sum, p) => sum + Math.max(0, (high.get(p.partition) ?? 0) - Number(p.offset)), 0);
        lags.push({ group: groupId.slice(prefix.length), topic: topic.slice(prefix.length), behind, members, state });
      }
    }
    return { missingTopics, lags };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Reads Tarn's consumer groups' lag (readKafkaState) through one client kept for the process, for gauges read again and
 * again: a reading that takes longer than `timeoutMs` (Kafka down) is given up, so that a scrape never waits for it.
 */
export function kafkaLagReader(brokers: string[], prefix: string, groups: readonly string[], timeoutMs = 3000): () => Promise<KafkaGroupLag[]> {
  const kafka = createKafkaClient(brokers, `tarn-lag-${hostname()}-${process.pid}`, { connectionTimeout: Math.min(3000, timeoutMs), retry: { retries: 0 } });
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const reading = readKafkaState(kafka, prefix, groups);
    reading.catch(() => undefined);
    try {
      const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Kafka at ${brokers.join(',')} did not answer within ${timeoutMs} ms`)), timeoutMs)));
      return (await Promise.race([reading, expired])).lags;
    } finally {
      clearTimeout(timer);
    }
  };
}
