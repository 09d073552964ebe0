import { Body, Controller, Logger, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access } from '../auth/access.decorator.js';
import { Answers, named } from '../http/answers.js';

const TRACE_BODY = named('Trace', {
  description: 'One trace or a list of them, as the stock upload and download clients send them.',
  oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
});

/**
 * Rucio's POST /traces/: the stock upload and download clients report each file they moved (no token, fire and
 * forget). Tarn keeps no trace store; it accepts them, so that clients are not answered 404, and logs them at debug.
 */
@ApiTags('traces')
@Controller('traces')
export class TracesController {
  private readonly logger = new Logger('traces');

  @Access.public()
  @Post()
  @ApiOperation({ summary: 'Accepts a client trace (Rucio traces; logged at debug, not stored)' })
  @ApiBody({ schema: TRACE_BODY })
  @Answers.empty('Accepted; the body is empty.', 201)
  trace(@Body() body: unknown, @Res() res: Response): void {
    const traces = Array.isArray(body) ? body : [body];
    for (const t of traces) {
      if (t === null || typeof t !== 'object') continue;
      const { eventType, clientState, scope, filename, filesize, remoteSite, stateReason } = t as Record<string, unknown>;
      // Upload traces name the scope and size only; download traces also the file.
      const what = filename ? `${String(scope)}:${String(filename)}` : String(scope);
      this.logger.debug(
        `trace ${String(eventType)} ${String(clientState)} ${what}${filesize !== undefined ? ` (${String(filesize)} bytes)` : ''}` +
          ` at ${String(remoteSite)}${stateReason ? `: ${String(stateReason)}` : ''}`,
      );
    }
    res.status(201).end();
  }
}
