import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HeartbeatService, LIVENESS_WINDOW_SECONDS } from '@tarn/daemon/heartbeat.service.js';
import { rfc1123 } from '../http/rucio-wire.js';
import { Access } from '../auth/access.decorator.js';

/** Rucio's GET /heartbeats: every daemon instance with a heartbeat, and whether it is alive. */
@ApiTags('heartbeats')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('heartbeats')
export class HeartbeatsController {
  constructor(@Inject(HeartbeatService) private readonly heartbeats: HeartbeatService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: `Daemon instances (a JSON list); alive: a heartbeat within the last ${LIVENESS_WINDOW_SECONDS} s.` })
  async list(): Promise<unknown> {
    return (await this.heartbeats.list()).map((instance) => ({
      readable: instance.executable,
      executable: instance.executable,
      hostname: instance.hostname,
      pid: instance.pid,
      thread_name: instance.thread,
      payload: instance.payload,
      alive: instance.alive,
      age_seconds: Math.round(instance.ageSeconds),
      created_at: rfc1123(instance.createdAt),
      updated_at: rfc1123(instance.updatedAt),
    }));
  }
}
