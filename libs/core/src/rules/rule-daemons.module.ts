import { Module } from '@nestjs/common';
import { DidsModule } from '../dids/dids.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { ExpiryService } from './expiry.service.js';
import { RuleReevaluationService } from './rule-reevaluation.service.js';
import { RuleReevaluator } from './rule-reevaluation.js';
import { RuleRepairService } from './rule-repair.service.js';
import { RulesModule } from './rules.module.js';

const SERVICES = [RuleReevaluator, RuleReevaluationService, RuleRepairService, ExpiryService];

/**
 * What the rule daemons (evaluator, injector, repairer, cleaner, undertaker) call: re-evaluation after
 * attach/detach, chunked injection, repair, and expiry, on top of RulesModule's RuleService.
 */
@Module({ imports: [RulesModule, RsesModule, DidsModule], providers: SERVICES, exports: [...SERVICES, RulesModule] })
export class RuleDaemonsModule {}
