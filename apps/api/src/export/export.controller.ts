import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { DistanceService, RseService, RseSpaceService, type Issuer } from '@tarn/core';
import { Access } from '../auth/access.decorator.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Answers, named } from '../http/answers.js';
import { distanceToWire } from '../rses/rse.wire.js';

const EXPORT_ANSWER = named('Export', {
  type: 'object',
  description: 'Every RSE by name (its settings and protocols as GET /rses/{rse}, with attributes and limits) and, with distance, the distances source -> destination.',
  properties: { rses: { type: 'object', additionalProperties: true }, distances: { type: 'object', additionalProperties: true } },
});

/** Rucio's GET /export: the RSE configuration of the whole instance, for a backup or another instance (administrators). */
@ApiTags('export')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('export')
export class ExportController {
  constructor(
    @Inject(RseService) private readonly rses: RseService,
    @Inject(RseSpaceService) private readonly space: RseSpaceService,
    @Inject(DistanceService) private readonly distances: DistanceService,
  ) {}

  @Access.admin()
  @Get()
  @ApiOperation({ summary: 'Every RSE with its settings, protocols, attributes and limits, and the distances between them (Rucio export_data)' })
  @ApiQuery({ name: 'distance', required: false, description: 'False leaves the distances out (default true).' })
  @Answers.json(EXPORT_ANSWER, 'The RSEs and their distances.')
  async export(@CurrentIssuer() issuer: Issuer, @Query('distance') distance?: string): Promise<Record<string, unknown>> {
    const rses: Record<string, unknown> = {};
    for (const summary of await this.rses.listRses(issuer)) {
      const [info, attributes, limits] = await Promise.all([
        this.rses.getRseInfo(issuer, summary.rse),
        this.rses.getAttributes(issuer, summary.rse),
        this.space.getLimits(issuer, summary.rse),
      ]);
      rses[summary.rse] = { ...info, attributes, limits };
    }
    if (distance !== undefined && /^(false|0|no)$/i.test(distance)) return { rses };
    const distances: Record<string, Record<string, unknown>> = {};
    for (const d of await this.distances.getDistances(issuer)) (distances[d.srcRse] ??= {})[d.destRse] = distanceToWire(d);
    return { rses, distances };
  }
}
