import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RseService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { streamNdjson } from '../http/rucio-wire.js';
import { assertKnownKeys, bodyObject, rowsOf } from './request-body.js';
import { AddRseDto, RSE_PROPERTY_KEYS, UpdateRseDto } from './rse.dto.js';
import { addRseInput, RSE_INFO_ANSWER, RSE_LINE, rseToWire, updateRseInput } from './rse.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';

/** Rucio's /rses routes for the RSEs themselves: list (by expression), add, show, update, delete. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses')
export class RsesController {
  constructor(@Inject(RseService) private readonly rses: RseService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'List RSEs (NDJSON), all or those an RSE expression selects.' })
  @ApiQuery({ name: 'expression', required: false, description: 'e.g. "QOS=SAFE&tier=1", "SITE_A|SITE_B", "*".' })
  @Answers.ndjson(RSE_LINE, 'The RSEs.')
  async list(@CurrentIssuer() issuer: Issuer, @Query('expression') expression: string | undefined, @Res() res: Response): Promise<void> {
    const rses = await this.rses.listRses(issuer, expression === '' ? undefined : expression);
    await streamNdjson(res, rowsOf(rses.map(rseToWire)));
  }

  @Access.admin()
  @Post(':rse')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add an RSE (administrators).' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Body() body: AddRseDto): Promise<string> {
    const properties = bodyObject<AddRseDto>(body, `the request to add RSE '${rse}'`);
    assertKnownKeys(properties, RSE_PROPERTY_KEYS, `Adding RSE '${rse}'`);
    await this.rses.addRse(issuer, addRseInput(rse, properties));
    return 'Created';
  }

  @Access.account()
  @Get(':rse')
  @ApiOperation({ summary: "The RSE's settings with its protocols (Rucio's get_rse_protocols), as the client uploads and downloads with them." })
  @Answers.json(RSE_INFO_ANSWER, "The RSE's settings and protocols.")
  async show(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<unknown> {
    return this.rses.getRseInfo(issuer, rse);
  }

  @Access.admin()
  @Put(':rse')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Change properties of an RSE (administrators); `name` renames it.' })
  @Answers.created()
  async update(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Body() body: UpdateRseDto): Promise<string> {
    const properties = bodyObject<UpdateRseDto>(body, `the update of RSE '${rse}'`);
    assertKnownKeys(properties, [...RSE_PROPERTY_KEYS, 'name'], `Updating RSE '${rse}'`);
    await this.rses.updateRse(issuer, rse, updateRseInput(properties));
    return 'Created';
  }

  @Access.admin()
  @Delete(':rse')
  @ApiOperation({ summary: 'Delete an empty RSE (administrators).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<void> {
    await this.rses.deleteRse(issuer, rse);
  }
}
