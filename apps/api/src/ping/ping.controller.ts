import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { sendJson } from '../http/rucio-wire.js';
import { Access } from '../auth/access.decorator.js';

/**
 * The Rucio release whose REST dialect Tarn speaks (the stock client of that release is tested against Tarn).
 * The client only prints it (`rucio ping`); scripts that compare versions see a release they know.
 */
export const RUCIO_API_VERSION = '41.5.1';

export class PingAnswer {
  @ApiProperty({ example: RUCIO_API_VERSION, description: 'The Rucio REST API version Tarn is compatible with.' })
  version!: string;
}

@ApiTags('ping')
@Controller('ping')
export class PingController {
  /** Rucio's GET /ping: no token needed; tells a client the server is alive and which API it speaks. */
  @Access.public()
  @Get()
  @ApiOperation({ summary: 'Is Tarn alive, and which Rucio REST API does it speak? No token needed.' })
  @ApiOkResponse({ type: PingAnswer, description: 'Alive.' })
  ping(@Res() res: Response): void {
    res.setHeader('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate');
    res.setHeader('Pragma', 'no-cache');
    sendJson(res, 200, { version: RUCIO_API_VERSION } satisfies PingAnswer);
  }
}
