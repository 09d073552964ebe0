import type { SchemaObject } from '@nestjs/swagger';
import { listOf, mapOf, named, shape } from '../http/answers.js';

/** Tarn's hooks speak camelCase JSON with ISO 8601 dates (they are not Rucio's). */
const ISO = { type: 'string', format: 'date-time' } as const;
const ISO_OR_NULL = { ...ISO, nullable: true };

const SOURCE_ANSWER: SchemaObject = {
  oneOf: [
    shape({ kind: { type: 'string', enum: ['rse'] }, rse: 'string', prefix: 'string', glob: 'string?' }),
    shape({ kind: { type: 'string', enum: ['dropbox'] }, directory: 'string', glob: 'string?' }),
  ],
};

export const HOOK_ANSWER = named('Hook', {
  ...shape({
    id: 'string', name: 'string', account: 'string', schedule: 'string', timezone: 'string?', enabled: 'boolean', source: SOURCE_ANSWER,
    target: shape({ scope: 'string', rse: 'string', name: 'string', dataset: 'string?', pattern: 'string?', meta: mapOf('string') }),
    checksum: { type: 'string', enum: ['registrar', 'compute', 'storage'] }, rules: listOf('object'), after: shape({ removeSource: 'boolean' }),
    comment: 'string?', nextRunAt: ISO_OR_NULL, runRequestedAt: ISO_OR_NULL, lastRunAt: ISO_OR_NULL, lastSuccessAt: ISO_OR_NULL, createdAt: ISO, updatedAt: ISO,
  }),
  additionalProperties: true,
});

export const HOOK_RUN_ANSWER = named(
  'HookRun',
  shape({
    id: 'string', hook: 'string', trigger: 'string', state: { type: 'string', enum: ['RUNNING', 'DONE', 'FAILED', 'ABANDONED'] }, instance: 'string',
    startedAt: ISO, finishedAt: ISO_OR_NULL, filesListed: 'integer', filesRegistered: 'integer', filesSkipped: 'integer', filesFailed: 'integer',
    bytesRegistered: 'integer', datasetsCreated: 'integer', rulesCreated: 'integer', sourcesRemoved: 'integer',
    errors: listOf({ type: 'object', properties: { path: { type: 'string' }, did: { type: 'string' }, error: { type: 'string' } }, required: ['error'] }),
  }),
);

/** POST /hooks (all of it) and PUT /hooks/{name} (the fields to change). */
export const HOOK_BODY = named('HookInput', {
  type: 'object',
  properties: {
    name: { type: 'string', example: 'daq-nightly' },
    account: { type: 'string', description: 'Owner (administrators may name another account).' },
    schedule: { type: 'string', example: '0 2 * * *', description: 'Cron expression.' },
    timezone: { type: 'string', nullable: true },
    enabled: { type: 'boolean' },
    source: {
      type: 'object',
      description: 'Zero-copy {rse, prefix, glob} or drop-box {dropbox, glob} (administrators).',
      properties: { rse: { type: 'string' }, prefix: { type: 'string' }, glob: { type: 'string' }, dropbox: { type: 'string' } },
    },
    target: {
      type: 'object',
      properties: {
        scope: { type: 'string' }, rse: { type: 'string' }, name: { type: 'string' }, dataset: { type: 'string' }, pattern: { type: 'string' },
        meta: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    checksum: { type: 'string', enum: ['registrar', 'compute', 'storage'] },
    rules: { type: 'array', items: { type: 'object', additionalProperties: true } },
    after: { type: 'object', properties: { removeSource: { type: 'boolean' } } },
    comment: { type: 'string', nullable: true },
  },
});
