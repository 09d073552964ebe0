import { Module } from '@nestjs/common';
import { LifetimeExceptionsModule } from '@tarn/core';
import { LifetimeExceptionsController } from './lifetime-exceptions.controller.js';

/** Rucio's /lifetime_exceptions routes. */
@Module({ imports: [LifetimeExceptionsModule], controllers: [LifetimeExceptionsController] })
export class LifetimeExceptionsApiModule {}
