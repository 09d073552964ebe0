import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountLimitService } from './account-limit.service.js';
import { DistanceService } from './distance.service.js';
import { QuotaService } from './quota.service.js';
import { RseExpressionService } from './rse-expression.service.js';
import { RseProtocolService } from './rse-protocol.service.js';
import { RseSpaceService } from './rse-space.service.js';
import { RseService } from './rse.service.js';

const SERVICES = [RseService, RseProtocolService, RseSpaceService, DistanceService, RseExpressionService, QuotaService, AccountLimitService];

/** RSEs, their protocols, space and distances, RSE expressions, account limits and quotas. */
@Module({ imports: [AuthModule], providers: SERVICES, exports: SERVICES })
export class RsesModule {}
