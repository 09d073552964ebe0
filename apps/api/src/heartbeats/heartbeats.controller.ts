import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HeartbeatService, LIVENESS_WINDOW_SECONDS } from '@tarn/daemon/heartbeat.service.js';
import { rfc1123 } from '../http/rucio-wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf, named, shape } from '../http/answers.js';

const HEARTBEAT_ANSWER = named(
  'Heartbeat',
  shape({
    readable: 'string', executable: 'string', hostname: 'string', pid: 'integer', thread_name: 'string', payload: 'object?', alive: 'boolean',
    age_seconds: 'integer', created_at: 'date', updated_at: 'date',
  }),
);

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
  @Answers.json(listOf(HEARTBEAT_ANSWER), 'The daemon instances.')
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
