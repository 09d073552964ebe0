import { Module } from '@nestjs/common';
import { RsesModule } from '../rses/rses.module.js';
import { BuiltinTransferTool } from './builtin-transfer-tool.js';
import { TransferFinisherService } from './transfer-finisher.service.js';
import { TransferSubmitterService } from './transfer-submitter.service.js';
import { TRANSFER_TOOL } from './transfer-tool.js';
import { TransferWorkerService } from './transfer-worker.service.js';

const SERVICES = [BuiltinTransferTool, TransferSubmitterService, TransferWorkerService, TransferFinisherService];

/** The transfer engine's services: submitter, the built-in transfer tool and its worker, finisher. */
@Module({
  imports: [RsesModule],
  providers: [...SERVICES, { provide: TRANSFER_TOOL, useExisting: BuiltinTransferTool }],
  exports: [...SERVICES, TRANSFER_TOOL],
})
export class TransfersModule {}
