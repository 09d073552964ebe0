import { Body, Controller, Get, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { LockState } from '@tarn/domain';
import { DatasetLockService, type DatasetLockView, type Issuer, MAX_LOCK_DIDS } from '@tarn/core';
import { Access } from '../auth/access.decorator.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, rfc1123, streamNdjson } from '../http/rucio-wire.js';
import { badRequest, bodyObject, mapRows } from '../rses/request-body.js';
import { LocksForDidsDto } from './rule.dto.js';
import { Answers } from '../http/answers.js';
import { DATASET_LOCK_LINE } from './rule.wire.js';
import { BulkBody } from '../http/request-limits.js';

const LOCK_STATES = Object.fromEntries(Object.entries(LockState).map(([name, code]) => [code, name]));

/** A dataset lock as Rucio's lock routes write it. */
function datasetLockToWire(lock: DatasetLockView): Record<string, unknown> {
  return {
    scope: lock.scope,
    name: lock.name,
    rule_id: lock.ruleId,
    rse_id: lock.rseId,
    rse: lock.rse,
    account: lock.account,
    state: LOCK_STATES[lock.state] ?? lock.state,
    length: lock.length,
    bytes: lock.bytes,
    accessed_at: rfc1123(lock.accessedAt),
    created_at: rfc1123(lock.createdAt),
    updated_at: rfc1123(lock.updatedAt),
  };
}

/** Rucio lists dataset locks only: the routes insist on did_type=dataset, as Rucio's do. */
function requireDatasetType(didType: string | undefined): void {
  if (didType !== 'dataset') {
    throw badRequest('InvalidObject', `Give did_type=dataset: locks are listed per dataset (not ${JSON.stringify(didType ?? null)}).`);
  }
}

/** Rucio's /locks routes: the dataset locks of DIDs and of RSEs. */
@ApiTags('locks')
@ApiSecurity('rucio-token')
@Controller('locks')
export class LocksController {
  constructor(@Inject(DatasetLockService) private readonly locks: DatasetLockService) {}

  @Access.reader()
  @Post('bulk_locks_for_dids')
  @ApiOperation({ summary: 'The dataset locks of many DIDs (NDJSON); containers stand for the datasets below them.' })
  @ApiBody({ type: LocksForDidsDto })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(DATASET_LOCK_LINE, 'The dataset locks.')
  @BulkBody({ items: 1000 })
  async bulk(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const { dids } = bodyObject<LocksForDidsDto>(body, 'a lock query');
    if (!Array.isArray(dids)) throw badRequest('InvalidObject', 'Can not find the list of DIDs in the data. Use "dids" keyword.');
    if (dids.length > MAX_LOCK_DIDS) throw badRequest('InvalidObject', `At most ${MAX_LOCK_DIDS} DIDs per query; ${dids.length} were given. Send them in chunks.`);
    const refs = dids.map((did, i) => {
      if (!did || typeof did !== 'object' || typeof did.scope !== 'string' || typeof did.name !== 'string') {
        throw badRequest('InvalidObject', `dids[${i}] must be an object {scope, name}.`);
      }
      return { scope: did.scope, name: did.name };
    });
    await streamNdjson(res, mapRows(await this.locks.ofDidsBulk(issuer, refs), datasetLockToWire));
  }

  @Access.account()
  @Get(':rse')
  @ApiOperation({ summary: 'Every dataset lock on an RSE (NDJSON); did_type=dataset is required.' })
  @ApiQuery({ name: 'did_type', enum: ['dataset'] })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(DATASET_LOCK_LINE, 'The dataset locks on the RSE.')
  async onRse(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Query('did_type') didType: string | undefined, @Res() res: Response): Promise<void> {
    requireDatasetType(didType);
    await streamNdjson(res, mapRows(await this.locks.onRse(issuer, rse), datasetLockToWire));
  }

  @Access.reader()
  @Get(':scope/:name')
  @ApiOperation({ summary: 'The dataset locks of a dataset (NDJSON): which rules hold it on which RSE; did_type=dataset is required.' })
  @ApiQuery({ name: 'did_type', enum: ['dataset'] })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(DATASET_LOCK_LINE, 'The dataset locks of the dataset.')
  async ofDid(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Query('did_type') didType: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    requireDatasetType(didType);
    await streamNdjson(res, mapRows(await this.locks.ofDid(issuer, { scope, name }), datasetLockToWire));
  }
}
