import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ConfigsService } from './configs.service.js';

/** The runtime configuration (configs table) through the API. */
@Module({ imports: [AuthModule], providers: [ConfigsService], exports: [ConfigsService] })
export class ConfigsModule {}
