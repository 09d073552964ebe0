import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Duplicate } from '@tarn/domain';
import { DistanceService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { badRequest, bodyObject } from './request-body.js';
import { RseDistanceDto } from './rse-space.dto.js';
import { DISTANCE_ANSWER, distanceToWire } from './rse.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';

function distanceOf(body: Partial<RseDistanceDto>, source: string, destination: string): number {
  const distance = body.distance ?? body.ranking;
  if (distance === undefined || distance === null) {
    throw badRequest('InvalidObject', `Give the distance from RSE '${source}' to '${destination}': {"distance": 10} (lower is better).`);
  }
  return distance;
}

/** Distances between RSEs (one direction each), used to rank transfer sources: lower is better. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses/:source/distances/:destination')
export class RseDistancesController {
  constructor(@Inject(DistanceService) private readonly distances: DistanceService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'The distance from source to destination: a JSON list, empty when none is set.' })
  @Answers.json(listOf(DISTANCE_ANSWER), 'The distance, or an empty list.')
  async get(@CurrentIssuer() issuer: Issuer, @Param('source') source: string, @Param('destination') destination: string): Promise<unknown> {
    return (await this.distances.getDistances(issuer, { src: source, dest: destination })).map(distanceToWire);
  }

  @Access.admin()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add a distance (administrators); 409 Duplicate when it is set already.' })
  @Answers.created()
  async add(
    @CurrentIssuer() issuer: Issuer,
    @Param('source') source: string,
    @Param('destination') destination: string,
    @Body() body: RseDistanceDto,
  ): Promise<string> {
    const fields = bodyObject<RseDistanceDto>(body, `the distance from RSE '${source}' to '${destination}'`);
    const distance = distanceOf(fields, source, destination);
    const pairs: [string, string][] = fields.bidirectional ? [[source, destination], [destination, source]] : [[source, destination]];
    for (const [src, dest] of pairs) {
      if ((await this.distances.getDistances(issuer, { src, dest })).length > 0) {
        throw new Duplicate(`The distance from RSE '${src}' to '${dest}' is set already. Update it (PUT, or rucio-admin rse set-distance) instead.`, {
          details: { src, dest },
        });
      }
    }
    for (const [src, dest] of pairs) await this.distances.setDistance(issuer, src, dest, distance);
    return 'Created';
  }

  @Access.admin()
  @Put()
  @ApiOperation({ summary: 'Set a distance (administrators).' })
  @Answers.empty()
  async update(
    @CurrentIssuer() issuer: Issuer,
    @Param('source') source: string,
    @Param('destination') destination: string,
    @Body() body: RseDistanceDto,
  ): Promise<void> {
    const fields = bodyObject<RseDistanceDto>(body, `the distance from RSE '${source}' to '${destination}'`);
    const distance = distanceOf(fields, source, destination);
    await this.distances.setDistance(issuer, source, destination, distance);
    if (fields.bidirectional) await this.distances.setDistance(issuer, destination, source, distance);
  }

  @Access.admin()
  @Delete()
  @ApiOperation({ summary: 'Delete a distance (administrators); deleting one that is not set is no error.' })
  @ApiQuery({ name: 'bidirectional', required: false, description: 'Also the distance from destination to source.' })
  @Answers.empty()
  async remove(
    @CurrentIssuer() issuer: Issuer,
    @Param('source') source: string,
    @Param('destination') destination: string,
    @Query('bidirectional') bidirectional?: string,
  ): Promise<void> {
    await this.distances.deleteDistance(issuer, source, destination);
    if (bidirectional?.toLowerCase() === 'true') await this.distances.deleteDistance(issuer, destination, source);
  }
}
