import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RseService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { bodyObject } from './request-body.js';
import { RseAttributeDto } from './rse.dto.js';
import { attributeValue } from './rse.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, mapOf } from '../http/answers.js';

/** Free-form RSE attributes (key -> text, number or boolean), which RSE expressions select on. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses/:rse/attr')
export class RseAttributesController {
  constructor(@Inject(RseService) private readonly rses: RseService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: "The RSE's attributes as one JSON object." })
  @Answers.json(mapOf({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] }), 'The attributes, by key.')
  async list(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<unknown> {
    return this.rses.getAttributes(issuer, rse);
  }

  @Access.admin()
  @Post(':key')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add or replace an attribute (administrators).' })
  @Answers.created()
  async set(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Param('key') key: string, @Body() body: RseAttributeDto): Promise<string> {
    const { value } = bodyObject<RseAttributeDto>(body, `attribute ${key} of RSE '${rse}'`);
    await this.rses.setAttribute(issuer, rse, key, attributeValue(value));
    return 'Created';
  }

  @Access.admin()
  @Delete(':key')
  @ApiOperation({ summary: 'Delete an attribute (administrators).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Param('key') key: string): Promise<void> {
    await this.rses.deleteAttribute(issuer, rse, key);
  }
}
