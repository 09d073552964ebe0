import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { didPathMiddleware } from '../dids/did-path.middleware.js';
import { AuthModule, CatalogueImportModule, RsesModule } from '@tarn/core';
import { ReplicasModule, RulesModule } from '@tarn/core';
import { HeartbeatService } from '@tarn/daemon/heartbeat.service.js';
import { HeartbeatsController } from '../heartbeats/heartbeats.controller.js';
import { RulesController } from '../rules/rules.controller.js';
import { LocksController } from '../rules/locks.controller.js';
import { RseAttributesController } from './rse-attributes.controller.js';
import { RseDistancesController } from './rse-distances.controller.js';
import { RseProtocolsController } from './rse-protocols.controller.js';
import { RseSpaceController } from './rse-space.controller.js';
import { RsesController } from './rses.controller.js';
import { RseLfnsController } from './rse-lfns.controller.js';
import { RseQosController } from './rse-qos.controller.js';
import { ExportController } from '../export/export.controller.js';
import { ImportController } from '../import/import.controller.js';

/** The storage side of the API: RSEs (with attributes, protocols, space, distances), rules and locks, daemon heartbeats. */
@Module({
  imports: [AuthModule, RsesModule, RulesModule, ReplicasModule, CatalogueImportModule],
  controllers: [
    RsesController,
    RseAttributesController,
    RseProtocolsController,
    RseSpaceController,
    RseDistancesController,
    RseQosController,
    RseLfnsController,
    ExportController,
    ImportController,
    RulesController,
    LocksController,
    HeartbeatsController,
  ],
  providers: [HeartbeatService],
})
export class StorageApiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(didPathMiddleware)
      .forRoutes({ path: 'rules/*path', method: RequestMethod.ALL }, { path: 'locks/*path', method: RequestMethod.ALL });
  }
}
