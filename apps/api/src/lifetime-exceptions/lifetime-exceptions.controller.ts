import { Body, Controller, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { LifetimeExceptionService, type Issuer } from '@tarn/core';
import type { LifetimeExceptionRecord } from '@tarn/catalogue/repositories/lifetime-exception.repository.js';
import { DidType, guidWire, LifetimeExceptionState } from '@tarn/domain';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf, mapOf, named, shape } from '../http/answers.js';
import { dateParameter } from '../http/query-parameters.js';
import { rfc1123, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { didTypeWire, mapRows } from '../dids/did.wire.js';
import { bodyObject } from '../rses/request-body.js';

const STATE_NAMES: Record<LifetimeExceptionState, string> = {
  [LifetimeExceptionState.WAITING]: 'WAITING',
  [LifetimeExceptionState.APPROVED]: 'APPROVED',
  [LifetimeExceptionState.REJECTED]: 'REJECTED',
};

const EXCEPTED_DID = shape({ scope: 'string', name: 'string', did_type: 'string' });

const LIFETIME_EXCEPTION = named(
  'LifetimeException',
  shape(
    {
      id: 'string',
      scope: 'string',
      name: 'string',
      did_type: 'string',
      account: 'string',
      pattern: 'string?',
      comments: 'string?',
      state: 'string',
      created_at: 'date',
      expires_at: 'date',
    },
    'One DID of a lifetime exception (state WAITING, APPROVED or REJECTED).',
  ),
);

const EXCEPTION_REQUEST = named(
  'LifetimeExceptionRequest',
  shape({
    dids: listOf(shape({ scope: 'string', name: 'string' })),
    comments: 'string',
    pattern: 'string?',
    expires_at: 'date?',
  }),
);

const EXCEPTION_RESULT = named(
  'LifetimeExceptionResult',
  shape(
    { exceptions: mapOf(listOf(EXCEPTED_DID)), unknown: listOf(EXCEPTED_DID), not_affected: listOf(EXCEPTED_DID) },
    'The new exceptions (by id) with their DIDs, the DIDs not found, and those with no lifetime to except.',
  ),
);

function exceptionWire(row: LifetimeExceptionRecord) {
  return {
    id: guidWire(row.id),
    scope: row.scope,
    name: row.name,
    did_type: didTypeWire(row.didType),
    account: row.account,
    pattern: row.pattern,
    comments: row.comments,
    state: STATE_NAMES[row.state],
    created_at: rfc1123(row.createdAt),
    expires_at: rfc1123(row.expiresAt),
  };
}

function statesParameter(states: string | string[] | undefined): LifetimeExceptionState[] | undefined {
  if (states === undefined || states === '') return undefined;
  const names = (Array.isArray(states) ? states : [states]).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  const byName = new Map(Object.entries(STATE_NAMES).flatMap(([code, name]) => [[code, code], [name, code]]));
  // An unknown state matches nothing (the stock client sends its exception id here by mistake).
  return names.map((n) => (byName.get(n) ?? 'none') as LifetimeExceptionState);
}

/**
 * Rucio's /lifetime_exceptions: any account asks to keep DIDs past their lifetime (with a reason and an end date);
 * administrators approve or reject. Approved ones keep their DIDs from the undertaker and their rules from the
 * rule-cleaner until they end.
 */
@ApiTags('lifetime_exceptions')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('lifetime_exceptions')
export class LifetimeExceptionsController {
  constructor(@Inject(LifetimeExceptionService) private readonly exceptions: LifetimeExceptionService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'Lifetime exceptions, one line per DID (all for administrators; others those on DIDs they may read).' })
  @ApiQuery({ name: 'exception_id', required: false })
  @ApiQuery({ name: 'states', required: false, description: 'WAITING, APPROVED or REJECTED (or W, A, R), comma-separated or repeated.' })
  @Answers.ndjson(LIFETIME_EXCEPTION, 'The exceptions.')
  async list(
    @CurrentIssuer() issuer: Issuer,
    @Query('exception_id') id: string | undefined,
    @Query('states') states: string[] | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = await this.exceptions.list(issuer, { id: id || undefined, states: statesParameter(states) });
    await streamNdjson(res, mapRows(rows, exceptionWire));
  }

  @Access.account()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary:
      'Asks to keep DIDs past their lifetime until expires_at (capped by lifetime_model.max_extension days, 365 unless configured); ' +
      'an administrator approves it. DIDs are grouped by scope and datatype, one exception each.',
  })
  @ApiBody({ schema: EXCEPTION_REQUEST })
  @Answers.json(EXCEPTION_RESULT, 'What became of each DID.', 201)
  async add(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const input = bodyObject<Record<string, unknown>>(body, 'the lifetime exception');
    const expires = input.expires_at;
    const result = await this.exceptions.request(issuer, {
      dids: input.dids as never,
      comments: input.comments as string,
      pattern: (input.pattern as string | null | undefined) ?? null,
      expiresAt: expires === undefined || expires === null || expires === '' ? null : dateParameter('expires_at', String(expires)),
    });
    const did = (d: { scope: string; name: string; didType?: DidType }) => ({
      scope: d.scope,
      name: d.name,
      did_type: d.didType ? didTypeWire(d.didType) : 'DATASET',
    });
    sendJson(res, 201, {
      exceptions: Object.fromEntries(Object.entries(result.exceptions).map(([id, dids]) => [guidWire(id), dids.map(did)])),
      unknown: result.unknown.map(did),
      not_affected: result.notAffected.map(did),
    });
  }

  @Access.account()
  @Get(':exceptionId')
  @ApiOperation({ summary: 'One lifetime exception, one line per DID.' })
  @Answers.ndjson(LIFETIME_EXCEPTION, 'Its DIDs.')
  async one(@CurrentIssuer() issuer: Issuer, @Param('exceptionId') id: string, @Res() res: Response): Promise<void> {
    const rows = await this.exceptions.list(issuer, { id });
    await streamNdjson(res, mapRows(rows, exceptionWire));
  }

  @Access.admin()
  @Put(':exceptionId')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Approves or rejects an exception: {"state": "APPROVED"} or {"state": "REJECTED"} (administrators).' })
  @ApiBody({ schema: shape({ state: { type: 'string', enum: ['APPROVED', 'REJECTED', 'A', 'R'] } }) })
  @Answers.created()
  async decide(@CurrentIssuer() issuer: Issuer, @Param('exceptionId') id: string, @Body() body: unknown): Promise<string> {
    await this.exceptions.decide(issuer, id, bodyObject<Record<string, unknown>>(body, 'the decision').state);
    return 'Created';
  }
}
