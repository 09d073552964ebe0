import { Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RseService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';

/** Rucio's QoS policies per RSE (its rse_qos_map); RSE expressions select them as `qos_policy=<policy>`. */
@ApiTags('rses')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rses/:rse/qos_policy')
export class RseQosController {
  constructor(@Inject(RseService) private readonly rses: RseService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'The QoS policies the RSE offers.' })
  @Answers.json(listOf('string'), 'The policies, by name.')
  async list(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string): Promise<string[]> {
    return this.rses.getQosPolicies(issuer, rse);
  }

  @Access.admin()
  @Post(':policy')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add a QoS policy to the RSE (administrators).' })
  @Answers.created()
  async add(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Param('policy') policy: string): Promise<string> {
    await this.rses.addQosPolicy(issuer, rse, policy);
    return 'Created';
  }

  @Access.admin()
  @Delete(':policy')
  @ApiOperation({ summary: 'Remove a QoS policy from the RSE (administrators).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Param('policy') policy: string): Promise<void> {
    await this.rses.deleteQosPolicy(issuer, rse, policy);
  }
}
