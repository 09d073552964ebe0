import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DidsModule } from '../dids/dids.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { RulesModule } from '../rules/rules.module.js';
import { SubscriptionProcessor } from './subscription-processor.js';
import { SubscriptionService } from './subscription.service.js';

/** Subscriptions: their management (SubscriptionService) and the transmogrifier's passes (SubscriptionProcessor). */
@Module({
  imports: [AuthModule, RsesModule, DidsModule, RulesModule],
  providers: [SubscriptionService, SubscriptionProcessor],
  exports: [SubscriptionService, SubscriptionProcessor],
})
export class SubscriptionsModule {}
