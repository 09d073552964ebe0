import { Body, Controller, Delete, Get, Inject, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RseSpaceService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { streamNdjson } from '../http/rucio-wire.js';
import { badRequest, bodyObject, rowsOf } from './request-body.js';
import { DeleteRseLimitDto, RseLimitDto, RseUsageDto } from './rse-space.dto.js';
import { RSE_USAGE_LINE, usageToWire } from './rse.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, mapOf } from '../http/answers.js';

/** Space of an RSE: named limits (MinFreeSpace, MaxBytes, ...) and usage per source. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses/:rse')
export class RseSpaceController {
  constructor(@Inject(RseSpaceService) private readonly space: RseSpaceService) {}

  @Access.account()
  @Get('limits')
  @ApiOperation({ summary: 'The limits as one JSON object {name: bytes}.' })
  @Answers.json(mapOf('integer'), 'The limits, by name.')
  async limits(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<unknown> {
    return this.space.getLimits(issuer, rse);
  }

  @Access.admin()
  @Put('limits')
  @ApiOperation({ summary: 'Set a limit (administrators).' })
  @Answers.empty()
  async setLimit(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Body() body: RseLimitDto): Promise<void> {
    const { name, value } = bodyObject<RseLimitDto>(body, `a limit of RSE '${rse}'`);
    await this.space.setLimit(issuer, rse, name as string, value as number);
  }

  @Access.admin()
  @Delete('limits')
  @ApiOperation({ summary: 'Delete a limit (administrators); deleting a limit that is not set is no error.' })
  @Answers.empty()
  async deleteLimit(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Body() body: DeleteRseLimitDto): Promise<void> {
    const { name } = bodyObject<DeleteRseLimitDto>(body, `the deletion of a limit of RSE '${rse}'`);
    if (typeof name !== 'string') throw badRequest('InvalidObject', `Name the limit of RSE '${rse}' to delete: {"name": "MinFreeSpace"}.`);
    await this.space.deleteLimit(issuer, rse, name);
  }

  @Access.account()
  @Get('usage')
  @ApiOperation({ summary: 'Usage per source (NDJSON).' })
  @ApiQuery({ name: 'source', required: false })
  @Answers.ndjson(RSE_USAGE_LINE, 'The usage each source reports.')
  async usage(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Query('source') source: unknown, @Res() res: Response): Promise<void> {
    if (source !== undefined && typeof source !== 'string') throw badRequest('InvalidObject', 'Give at most one usage source.');
    const usage = await this.space.getUsage(issuer, rse, source);
    await streamNdjson(res, rowsOf(usage.map(usageToWire)));
  }

  @Access.admin()
  @Put('usage')
  @ApiOperation({ summary: 'Set the usage one source reports (administrators).' })
  @Answers.empty()
  async setUsage(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Body() body: RseUsageDto): Promise<void> {
    const usage = bodyObject<RseUsageDto>(body, `the usage of RSE '${rse}'`);
    await this.space.setUsage(issuer, rse, {
      source: usage.source as string,
      used: usage.used as number,
      free: usage.free ?? null,
      ...(usage.files === undefined || usage.files === null ? {} : { files: usage.files }),
    });
  }
}
