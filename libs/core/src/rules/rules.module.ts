import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { RuleCreator } from './rule-creator.js';
import { RuleEvaluator } from './rule-evaluator.js';
import { RuleService } from './rule.service.js';
import { DatasetLockService } from './dataset-lock.service.js';

/** Replication rules: creation and placement, reads, updates, deletion, expiry, moves. */
@Module({
  imports: [AuthModule, RsesModule],
  providers: [RuleEvaluator, RuleCreator, RuleService, DatasetLockService],
  exports: [RuleEvaluator, RuleCreator, RuleService, DatasetLockService],
})
export class RulesModule {}
