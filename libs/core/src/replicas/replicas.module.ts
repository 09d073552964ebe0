import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { RsesModule } from '../rses/rses.module.js';
import { ReplicaService } from './replica.service.js';

/** File replicas: registration, listing, states, bad replicas, tombstones, access times. */
@Module({ imports: [AuthModule, RsesModule], providers: [ReplicaService], exports: [ReplicaService] })
export class ReplicasModule {}
