import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequestQueryService } from '@tarn/core/transfers/request-query.service.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { REQUEST_ANSWER, requestToWire } from './request.wire.js';

/** Rucio's GET /requests/{scope}/{name}/{rse} (administrators, as Rucio's query_request permission). */
@ApiTags('requests')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('requests')
export class RequestsController {
  constructor(@Inject(RequestQueryService) private readonly requests: RequestQueryService) {}

  @Access.admin()
  @Get(':scope/:name/:rse')
  @ApiOperation({ summary: 'The active transfer request of a file towards an RSE (Rucio get_request_by_did)' })
  @Answers.json(REQUEST_ANSWER, 'The request.')
  async requestOf(@Param('scope') scope: string, @Param('name') name: string, @Param('rse') rse: string, @Res() res: Response): Promise<void> {
    res.status(200).json(requestToWire(await this.requests.requestOf(scope, name, rse)));
  }
}
