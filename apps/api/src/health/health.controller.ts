import { Controller, Get, HttpCode, HttpStatus, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Access } from '../auth/access.decorator.js';
import { Answers, shape } from '../http/answers.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** 200 when the catalogue answers; 503 otherwise, so that a load balancer or an operator's probe can tell. */
  @Access.public()
  @Get()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Does the catalogue answer? For load balancers and probes; no token needed.' })
  @Answers.json(shape({ status: { type: 'string', enum: ['ok'] }, database: { type: 'string', enum: ['ok'] } }), 'The catalogue answers.')
  @ApiResponse({ status: 503, description: 'The catalogue database does not answer.' })
  async health(): Promise<{ status: 'ok'; database: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException(`catalogue database unreachable: ${(error as Error).message}`);
    }
    return { status: 'ok', database: 'ok' };
  }
}
