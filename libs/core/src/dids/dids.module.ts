import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { DidLifecycleService } from './did-lifecycle.service.js';
import { DidMetadataService } from './did-metadata.service.js';
import { DidService } from './did.service.js';

@Module({
  imports: [AuthModule],
  providers: [DidService, DidMetadataService, DidLifecycleService],
  exports: [DidService, DidMetadataService, DidLifecycleService],
})
export class DidsModule {}
