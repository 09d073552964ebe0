import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { type Issuer, LfnResolutionService, PROTOCOL_DOMAINS, PROTOCOL_OPERATIONS, type ProtocolDomain, type ProtocolOperation } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, mapOf } from '../http/answers.js';
import { badRequest } from './request-body.js';

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** `scope:name`, or `scope:name:path` with an explicit path, as Rucio's lfns2pfns takes them. */
function parseLfn(value: unknown): { scope: string; name: string; path?: string } {
  const parts = typeof value === 'string' ? value.split(':') : [];
  if (parts.length === 2 || parts.length === 3) return { scope: parts[0], name: parts[1], ...(parts[2] ? { path: parts[2] } : {}) };
  throw badRequest('InvalidObject', `LFN parameter(s) malformed: ${JSON.stringify(value)} is not scope:name (or scope:name:path).`);
}

function oneOf<T extends string>(wire: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw badRequest('InvalidObject', `${wire} is one of ${allowed.join(', ')}, not ${JSON.stringify(value)}.`);
}

/** Rucio's GET /rses/<rse>/lfns2pfns: where files go (or are) on an RSE, as the stock client asks a non-deterministic RSE. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses/:rse/lfns2pfns')
export class RseLfnsController {
  constructor(@Inject(LfnResolutionService) private readonly lfns: LfnResolutionService) {}

  @Access.account()
  @Get()
  @ApiOperation({
    summary:
      "The PFN of each LFN on the RSE through its best protocol for the operation: computed on a deterministic RSE, the replica's " +
      'stored path on a non-deterministic one (LFNs without one are left out).',
  })
  @ApiQuery({ name: 'lfn', isArray: true, type: String, description: 'scope:name, or scope:name:path; repeated (at most 10,000).' })
  @ApiQuery({ name: 'scheme', required: false })
  @ApiQuery({ name: 'domain', required: false, enum: PROTOCOL_DOMAINS })
  @ApiQuery({ name: 'operation', required: false, enum: PROTOCOL_OPERATIONS, description: 'Default write.' })
  @Answers.json(mapOf('string', 'The PFN of each scope:name.'), 'The PFNs, by LFN.')
  async lfns2pfns(
    @CurrentIssuer() issuer: Issuer,
    @Param('rse') rse: string,
    @Query('lfn') lfn: string[],
    @Query('scheme') scheme: unknown,
    @Query('domain') domain: unknown,
    @Query('operation') operation: unknown,
  ): Promise<Record<string, string>> {
    if (scheme !== undefined && typeof scheme !== 'string') throw badRequest('InvalidObject', 'Give one scheme.');
    return this.lfns.lfns2pfns(issuer, rse, asList(lfn).map(parseLfn), {
      scheme: scheme ?? null,
      domain: oneOf<ProtocolDomain>('domain', domain, PROTOCOL_DOMAINS, 'wan'),
      operation: oneOf<ProtocolOperation>('operation', operation, PROTOCOL_OPERATIONS, 'write'),
    });
  }
}
