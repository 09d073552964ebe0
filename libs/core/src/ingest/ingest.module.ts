import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DidsModule } from '../dids/dids.module.js';
import { ReplicasModule } from '../replicas/replicas.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { RulesModule } from '../rules/rules.module.js';
import { HookRunner } from './hook-runner.js';
import { HookService } from './hook.service.js';

/** Ingestion hooks: their management (HookService) and their runs (HookRunner, used by the ingester). */
@Module({
  imports: [AuthModule, RsesModule, DidsModule, ReplicasModule, RulesModule],
  providers: [HookService, HookRunner],
  exports: [HookService, HookRunner],
})
export class IngestModule {}
