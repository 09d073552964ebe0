import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DidsModule, RsesModule } from '@tarn/core';
import { ReplicasModule } from '@tarn/core';
import { didPathMiddleware } from '../dids/did-path.middleware.js';
import { ReplicasController } from './replicas.controller.js';

/** Rucio's /replicas routes. */
@Module({ imports: [ReplicasModule, RsesModule, DidsModule], controllers: [ReplicasController] })
export class ReplicasApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(didPathMiddleware).forRoutes({ path: 'replicas/*path', method: RequestMethod.ALL });
  }
}
