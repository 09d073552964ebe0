import { Module } from '@nestjs/common';
import { RulesModule } from '@tarn/core/rules/rules.module.js';
import { SubscriptionsModule } from '@tarn/core/subscriptions/subscriptions.module.js';
import { SubscriptionsController } from './subscriptions.controller.js';

@Module({ imports: [SubscriptionsModule, RulesModule], controllers: [SubscriptionsController] })
export class SubscriptionsApiModule {}
