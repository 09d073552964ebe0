import { Module } from '@nestjs/common';
import { ConfigsModule } from '@tarn/core';
import { ConfigsController } from './configs.controller.js';

/** Rucio's /config routes. */
@Module({ imports: [ConfigsModule], controllers: [ConfigsController] })
export class ConfigsApiModule {}
