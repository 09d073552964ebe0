import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBody, ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ConfigsService, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, mapOf } from '../http/answers.js';
import { sendJson } from '../http/rucio-wire.js';
import { bodyObject } from '../rses/request-body.js';

const VALUE = { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] };

/** Rucio's /config routes: the runtime knobs of the configs table (administrators). */
@ApiTags('config')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Access.admin()
@Controller('config')
export class ConfigsController {
  constructor(@Inject(ConfigsService) private readonly configs: ConfigsService) {}

  @Get()
  @ApiOperation({ summary: 'The whole configuration: {section: {option: value}}.' })
  @Answers.json(mapOf(mapOf(VALUE)), 'Every option, by section.')
  async all(@CurrentIssuer() issuer: Issuer): Promise<unknown> {
    return this.configs.all(issuer);
  }

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Sets options: {section: {option: value}} (Rucio set_config_option).' })
  @ApiBody({ schema: mapOf(mapOf(VALUE)) })
  @Answers.created()
  async set(@CurrentIssuer() issuer: Issuer, @Body() body: Record<string, Record<string, unknown>>): Promise<string> {
    await this.configs.set(issuer, bodyObject<Record<string, Record<string, unknown>>>(body, 'the configuration to set') as Record<string, Record<string, unknown>>);
    return 'Created';
  }

  @Get(':section')
  @ApiOperation({ summary: 'The options of a section.' })
  @Answers.json(mapOf(VALUE), 'The options, by name.')
  async section(@CurrentIssuer() issuer: Issuer, @Param('section') section: string): Promise<unknown> {
    return this.configs.section(issuer, section);
  }

  @Delete(':section')
  @ApiOperation({ summary: 'Removes a whole section.' })
  @Answers.empty()
  async removeSection(@CurrentIssuer() issuer: Issuer, @Param('section') section: string): Promise<void> {
    await this.configs.remove(issuer, section);
  }

  @Get(':section/:option')
  @ApiOperation({ summary: 'One option.' })
  @Answers.json(VALUE, 'The value (true/false and numbers typed).')
  async option(@CurrentIssuer() issuer: Issuer, @Param('section') section: string, @Param('option') option: string, @Res() res: Response): Promise<void> {
    // JSON even for a text value: the client reads every answer with r.json().
    sendJson(res, 200, await this.configs.option(issuer, section, option));
  }

  @Delete(':section/:option')
  @ApiOperation({ summary: 'Removes one option.' })
  @Answers.empty()
  async removeOption(@CurrentIssuer() issuer: Issuer, @Param('section') section: string, @Param('option') option: string): Promise<void> {
    await this.configs.remove(issuer, section, option);
  }

  @Put(':section/:option/:value')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Sets one option from the path (older clients).' })
  @Answers.created()
  async setInPath(
    @CurrentIssuer() issuer: Issuer,
    @Param('section') section: string,
    @Param('option') option: string,
    @Param('value') value: string,
  ): Promise<string> {
    await this.configs.set(issuer, { [section]: { [option]: value } });
    return 'Created';
  }
}
