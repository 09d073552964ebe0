import { Controller, Get, HttpCode, HttpStatus, Inject, ServiceUnavailableException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Access } from '../auth/access.decorator.js';

@Controller('health')
export class HealthController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** 200 when the catalogue answers; 503 otherwise, so that a load balancer or an operator's probe can tell. */
  @Access.public()
  @Get()
  @HttpCode(HttpStatus.OK)
  async health(): Promise<{ status: 'ok'; database: 'ok' }> {
    try {
      await this.dataSource.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnavailableException(`catalogue database unreachable: ${(error as Error).message}`);
    }
    return { status: 'ok', database: 'ok' };
  }
}
