import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { SignedUrlService } from './signed-url.service.js';

/** Signed (presigned) URLs of objects on RSE storage. */
@Module({ imports: [AuthModule], providers: [SignedUrlService], exports: [SignedUrlService] })
export class CredentialsModule {}
