import { Global, Module } from '@nestjs/common';
import { loadConfig, TarnConfig } from './config.js';

export const TARN_CONFIG = Symbol('TARN_CONFIG');

@Global()
@Module({
  providers: [{ provide: TARN_CONFIG, useFactory: (): TarnConfig => loadConfig() }],
  exports: [TARN_CONFIG],
})
export class ConfigModule {}
