import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ReplicasModule } from '../replicas/replicas.module.js';
import { ConsistencyService } from './consistency.service.js';

/** The consistency checker's service: storage listings compared with the catalogue (dark data, missing replicas). */
@Module({ imports: [AuthModule, ReplicasModule], providers: [ConsistencyService], exports: [ConsistencyService] })
export class ConsistencyServiceModule {}
