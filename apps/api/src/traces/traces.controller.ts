import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AccountService } from '@tarn/core';
import { TraceService } from '@tarn/core/traces/trace.service.js';
import { Access } from '../auth/access.decorator.js';
import { requestTokenOf } from '../auth/browser-session.js';
import { Answers, named } from '../http/answers.js';

const TRACE_BODY = named('Trace', {
  description: 'One trace or a list of them, as the stock upload and download clients send them.',
  oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: { type: 'object', additionalProperties: true } }],
});

/**
 * Rucio's POST /traces/: the stock clients report each file they moved, with no token needed (fire and forget). Reads
 * (download traces) are queued and applied by the kronos daemon; the rest is accepted and left. A trace sent with a
 * valid token is recorded with its account (only those extend lifetimes on access, where that is configured).
 */
@ApiTags('traces')
@Controller('traces')
export class TracesController {
  constructor(
    @Inject(TraceService) private readonly traces: TraceService,
    @Inject(AccountService) private readonly accounts: AccountService,
  ) {}

  @Access.public()
  @Post()
  @ApiOperation({ summary: 'Takes client traces (Rucio traces): reads are applied by the kronos daemon to last-access times' })
  @ApiBody({ schema: TRACE_BODY })
  @Answers.empty('Accepted; the body is empty.', 201)
  async trace(@Body() body: unknown, @Headers() headers: Record<string, string | string[] | undefined>, @Res() res: Response): Promise<void> {
    const found = requestTokenOf(headers);
    const account = found && !found.fromCookie ? await this.accounts.validateToken(found.token).then((issuer) => issuer.account, () => null) : null;
    await this.traces.record(Array.isArray(body) ? body : [body], account);
    res.status(201).end();
  }
}
