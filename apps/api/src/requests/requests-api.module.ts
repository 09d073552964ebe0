import { Module } from '@nestjs/common';
import { RequestQueryModule } from '@tarn/core/transfers/request-query.service.js';
import { RequestsController } from './requests.controller.js';

/** Rucio's /requests routes. */
@Module({ imports: [RequestQueryModule], controllers: [RequestsController] })
export class RequestsApiModule {}
