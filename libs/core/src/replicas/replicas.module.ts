import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { ReplicaRegistrarService } from './replica-registrar.service.js';
import { ReplicaService } from './replica.service.js';
import { DatasetReplicaService } from './dataset-replica.service.js';
import { LfnResolutionService } from './lfn-resolution.service.js';

/** File replicas: registration, listing, states, bad replicas, tombstones, access times; their verification and recovery. */
@Module({
  imports: [AuthModule, RsesModule],
  providers: [ReplicaService, ReplicaRegistrarService, DatasetReplicaService, LfnResolutionService],
  exports: [ReplicaService, ReplicaRegistrarService, DatasetReplicaService, LfnResolutionService],
})
export class ReplicasModule {}
