import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountsModule } from '@tarn/core';
import { TokenAuthGuard } from './auth/token-auth.guard.js';
import { HealthController } from './health/health.controller.js';

/**
 * The API's routes and what they need from Tarn's core. The catalogue connection comes from the process
 * (ApiAppModule) or from a test, so this module runs the same over both.
 */
@Module({
  imports: [AccountsModule],
  controllers: [HealthController],
  providers: [{ provide: APP_GUARD, useClass: TokenAuthGuard }],
})
export class ApiModule {}
