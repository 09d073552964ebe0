import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LifetimeExceptionService } from './lifetime-exception.service.js';

/** Requests to keep DIDs past their lifetime, and their approval. */
@Module({ imports: [AuthModule], providers: [LifetimeExceptionService], exports: [LifetimeExceptionService] })
export class LifetimeExceptionsModule {}
