import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiSecurity, ApiTags, type SchemaObject } from '@nestjs/swagger';
import { DOCTOR_CHECKS, DoctorService, type DoctorReport } from '@tarn/core';
import { HeartbeatService } from '@tarn/daemon/heartbeat.service.js';
import { DAEMONS } from '../../../tarn/src/daemon-list.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf, named, shape } from '../http/answers.js';
import { booleanParameter } from '../http/query-parameters.js';

const CHECK: SchemaObject = { type: 'string', enum: [...DOCTOR_CHECKS] };

const DOCTOR_ANSWER = named(
  'DoctorReport',
  shape({
    checkedAt: { type: 'string', format: 'date-time' },
    checks: listOf(shape({ check: CHECK, looked: { type: 'integer', description: 'How many things the check looked at (RSE protocols, daemon instances, hosts...).' } })),
    findings: listOf(
      shape({
        check: CHECK,
        severity: { type: 'string', enum: ['error', 'warning'] },
        subject: { type: 'string', nullable: true, description: 'What it is about: an RSE and protocol, a daemon instance, a host, a topic.' },
        what: 'string',
        fix: 'string',
      }),
    ),
  }),
);

/** The server's side of `tarn doctor`. */
@ApiTags('doctor')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('doctor')
export class DoctorController {
  constructor(
    @Inject(DoctorService) private readonly doctor: DoctorService,
    @Inject(HeartbeatService) private readonly heartbeats: HeartbeatService,
  ) {}

  @Access.admin()
  @Get()
  @ApiOperation({
    summary:
      "Checks Tarn as the server sees it: identity providers, the catalogue (reachable, migrations, connections), the event bus (Kafka's topics " +
      "and consumer lag, or the PostgreSQL bus's consumers; the outbox), every RSE protocol (a probe file written, stat'ed, read back, " +
      'checksummed and deleted), RSE space against limits, every daemon alive, and the clocks of every process against the catalogue. ' +
      'Findings only where something is wrong, each with its fix. It writes to every RSE: it may take as long as the slowest storage.',
  })
  @ApiQuery({ name: 'storage', required: false, description: 'false: no storage probes (default true).' })
  @ApiQuery({ name: 'rse', required: false, description: "Only this RSE's protocols and space; an unknown RSE is a 404 RSENotFound." })
  @Answers.json(DOCTOR_ANSWER, 'What was checked, and the findings.')
  async check(@Query('storage') storage: string | undefined, @Query('rse') rse: string | undefined): Promise<DoctorReport> {
    return this.doctor.report({
      // A catalogue that stopped answering is the doctor's finding, not a failed request.
      daemons: { expected: DAEMONS.map((d) => d.name), instances: await this.heartbeats.list().catch(() => null) },
      storage: storage === undefined ? true : booleanParameter('storage', storage),
      rse: rse === undefined || rse === '' ? undefined : rse,
    });
  }
}
