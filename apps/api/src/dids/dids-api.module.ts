import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DidsModule } from '@tarn/core';
import { ReplicasModule } from '@tarn/core';
import { RulesModule } from '@tarn/core';
import { DidBulkController } from './did-bulk.controller.js';
import { didPathMiddleware } from './did-path.middleware.js';
import { DidSearchController } from './did-search.controller.js';
import { DidsController } from './dids.controller.js';

/** Rucio's /dids routes. */
@Module({
  imports: [DidsModule, RulesModule, ReplicasModule],
  controllers: [DidBulkController, DidSearchController, DidsController],
})
export class DidsApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(didPathMiddleware).forRoutes({ path: 'dids/*path', method: RequestMethod.ALL });
  }
}
