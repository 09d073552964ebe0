import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { HeartbeatService, type DaemonInstanceStatus } from '@tarn/daemon/heartbeat.service.js';
import { rfc1123 } from '../http/rucio-wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf, named, shape } from '../http/answers.js';

const HEARTBEAT_ANSWER = named(
  'Heartbeat',
  shape({
    readable: 'string', executable: 'string', hostname: 'string', pid: 'integer', thread_name: 'string', payload: 'object?', alive: 'boolean',
    age_seconds: 'integer', created_at: 'date', updated_at: 'date',
    state: { type: 'string', enum: ['alive', 'dead'], description: 'dead: silent for longer than dead_after_seconds; shown until it is cleared' },
    dead_after_seconds: 'number', started_at: 'string?', metrics_port: 'integer?', ready: 'boolean?', passes: 'integer?', failures: 'integer?',
    last_error: 'string?',
  }),
);

const numberOrNull = (value: unknown) => (typeof value === 'number' ? value : null);

/** One daemon instance on the wire: Rucio's fields, then Tarn's per-instance ones (from its heartbeat's payload). */
function heartbeatWire(instance: DaemonInstanceStatus): Record<string, unknown> {
  const payload = instance.payload ?? {};
  return {
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
    state: instance.alive ? 'alive' : 'dead',
    dead_after_seconds: instance.deadAfterSeconds,
    started_at: typeof payload.startedAt === 'string' ? payload.startedAt : null,
    metrics_port: numberOrNull(payload.metricsPort),
    ready: typeof payload.ready === 'boolean' ? payload.ready : null,
    passes: numberOrNull(payload.passes),
    failures: numberOrNull(payload.failures),
    last_error: typeof payload.lastError === 'string' ? payload.lastError : null,
  };
}

/** Rucio's GET /heartbeats: every daemon instance (host, pid, thread) with a heartbeat, and whether it is alive. */
@ApiTags('heartbeats')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('heartbeats')
export class HeartbeatsController {
  constructor(@Inject(HeartbeatService) private readonly heartbeats: HeartbeatService) {}

  @Access.account()
  @Get()
  @ApiOperation({
    summary:
      'Daemon instances (a JSON list): alive while their last heartbeat is younger than their dead_after_seconds (3 heartbeat ' +
      'intervals, 30 s by default); dead ones are listed until they are cleared (TARN_HEARTBEAT_FORGET_SECONDS after their ' +
      'last beat, once their daemon has a live instance again).',
  })
  @Answers.json(listOf(HEARTBEAT_ANSWER), 'The daemon instances.')
  async list(): Promise<unknown> {
    return (await this.heartbeats.list()).map(heartbeatWire);
  }
}
