import { Module } from '@nestjs/common';
import { ScopesModule } from '@tarn/core';
import { ScopesController } from './scopes.controller.js';

@Module({ imports: [ScopesModule], controllers: [ScopesController] })
export class ScopesApiModule {}
