import { Module } from '@nestjs/common';
import { ReplicasApiModule } from '../replicas/replicas-api.module.js';
import { DidsApiModule } from './dids-api.module.js';

/** The namespace on the wire: Rucio's /dids and /replicas routes. */
@Module({ imports: [DidsApiModule, ReplicasApiModule] })
export class NamespaceApiModule {}
