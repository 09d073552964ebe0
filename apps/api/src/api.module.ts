import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { AccountsModule } from '@tarn/core';
import { AccountsApiModule } from './accounts/accounts-api.module.js';
import { TokenAuthGuard } from './auth/token-auth.guard.js';
import { CredentialsApiModule } from './credentials/credentials-api.module.js';
import { ConfigsApiModule } from './configs/configs-api.module.js';
import { NamespaceApiModule } from './dids/namespace-api.module.js';
import { DoctorApiModule } from './doctor/doctor-api.module.js';
import { HealthController } from './health/health.controller.js';
import { LifetimeExceptionsApiModule } from './lifetime-exceptions/lifetime-exceptions-api.module.js';
import { HooksApiModule } from './hooks/hooks-api.module.js';
import { OverviewApiModule } from './overview/overview-api.module.js';
import { StorageApiModule } from './rses/storage-api.module.js';
import { SubscriptionsApiModule } from './subscriptions/subscriptions-api.module.js';
import { TracesApiModule } from './traces/traces-api.module.js';
import { RequestsApiModule } from './requests/requests-api.module.js';

/**
 * The API's routes and what they need from Tarn's core. The catalogue connection comes from the process
 * (ApiAppModule) or from a test, so this module runs the same over both.
 */
@Module({
  imports: [DiscoveryModule, AccountsModule, StorageApiModule, AccountsApiModule, NamespaceApiModule, HooksApiModule, SubscriptionsApiModule, CredentialsApiModule, TracesApiModule, RequestsApiModule, ConfigsApiModule, OverviewApiModule, LifetimeExceptionsApiModule, DoctorApiModule],
  controllers: [HealthController],
  providers: [{ provide: APP_GUARD, useClass: TokenAuthGuard }],
})
export class ApiModule {}
