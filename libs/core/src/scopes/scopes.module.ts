import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ScopeService } from './scope.service.js';

@Module({ imports: [AuthModule], providers: [ScopeService], exports: [ScopeService] })
export class ScopesModule {}
