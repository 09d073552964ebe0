import { Module } from '@nestjs/common';
import { CredentialsModule } from '@tarn/core/credentials/credentials.module.js';
import { CredentialsController } from './credentials.controller.js';

/** Rucio's /credentials routes (signed URLs). */
@Module({ imports: [CredentialsModule], controllers: [CredentialsController] })
export class CredentialsApiModule {}
