import { Module } from '@nestjs/common';
import { StorageUsageService } from './storage-usage.service.js';

/** RSE usage from the storage itself (rse_usage 'storage'). */
@Module({ providers: [StorageUsageService], exports: [StorageUsageService] })
export class StorageUsageModule {}
