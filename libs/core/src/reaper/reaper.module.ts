import { Module } from '@nestjs/common';
import { ReaperService } from './reaper.service.js';

/** The reaper's service: deletion of tombstoned replicas from storage and catalogue. */
@Module({ providers: [ReaperService], exports: [ReaperService] })
export class ReaperServiceModule {}
