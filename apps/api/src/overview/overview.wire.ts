import type { SchemaObject } from '@nestjs/swagger';
import { listOf, mapOf, named, shape } from '../http/answers.js';

/** Tarn's overview speaks camelCase JSON with ISO 8601 dates (it is not Rucio's). */
const ISO = { type: 'string', format: 'date-time' } as const;
const ISO_OR_NULL = { ...ISO, nullable: true };
const SECONDS_OR_NULL = { type: 'integer', nullable: true, description: 'Age of the oldest item, in seconds (null when none).' } as const;

const HOUR: SchemaObject = shape({ hour: ISO, done: 'integer', failed: 'integer', bytes: 'integer' });

export const OVERVIEW_ANSWER = named(
  'Overview',
  shape({
    generatedAt: ISO,
    backlog: shape({
      updatedDids: 'integer',
      oldestUpdatedDidSeconds: SECONDS_OR_NULL,
      requestsByState: mapOf('integer', 'Transfer requests still to do, by state letter (Q queued, S submitted, W waiting, ...).'),
      oldestQueuedSeconds: SECONDS_OR_NULL,
      verifications: 'integer',
      verificationsDue: 'integer',
      oldestVerificationSeconds: SECONDS_OR_NULL,
      tombstonesDue: listOf(shape({ rseId: 'string', rse: 'string', due: 'integer', bytes: 'integer' })),
      outbox: { ...shape({ unpublished: 'integer', oldestUnpublishedSeconds: SECONDS_OR_NULL }), nullable: true, description: 'Kafka event bus only.' },
      consumers: listOf(shape({ group: 'string', topic: 'string', behind: 'integer', oldestSeconds: SECONDS_OR_NULL })),
    }),
    rulesByState: mapOf('integer', 'Rules by state letter (O OK, R REPLICATING, S STUCK, U SUSPENDED, W WAITING_APPROVAL, I INJECT).'),
    transfers: shape({
      perHour: listOf(HOUR),
      lastHour: { ...shape({ done: 'integer', failed: 'integer' }), description: 'Attempts over the 60 minutes before generatedAt.' },
      failureReasons: listOf(shape({ reason: 'string', count: 'integer', example: 'string', last: ISO })),
    }),
    deletions: shape({ perHour: listOf(HOUR) }),
    problems: listOf(shape({ severity: { type: 'string', enum: ['warning', 'error'] }, what: 'string' })),
  }),
);

export const RSE_SUMMARY_ANSWER = named('RseOverview', {
  ...shape({
    id: 'string', name: 'string', rseType: 'string', deterministic: 'boolean', volatile: 'boolean', qosClass: 'string?',
    availabilityRead: 'boolean', availabilityWrite: 'boolean', availabilityDelete: 'boolean', attributes: 'object',
    limits: mapOf('number', 'MinFreeSpace, MaxBytes, ... in bytes.'), usedBytes: 'integer',
    freeBytes: { type: 'integer', nullable: true, description: 'Free space as the storage reports it, else MaxBytes - used, else null.' },
    usage: listOf(shape({ rseId: 'string', source: 'string', used: 'integer', free: 'integer?', files: 'integer', updatedAt: ISO })),
    protocols: listOf(shape({ rseId: 'string', scheme: 'string', hostname: 'string', port: 'integer', prefix: 'string' })),
    lastAudit: {
      ...shape({ rseId: 'string', state: 'string', startedAt: ISO, finishedAt: ISO_OR_NULL, dark: 'integer', missing: 'integer', error: 'string?' }),
      nullable: true,
    },
  }),
  additionalProperties: true,
});
