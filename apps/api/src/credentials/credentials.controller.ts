import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInput } from '@tarn/domain';
import type { Issuer } from '@tarn/core';
import { SignedUrlService } from '@tarn/core/credentials/signed-url.service.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** Rucio's /credentials routes. */
@ApiTags('credentials')
@Controller('credentials')
export class CredentialsController {
  constructor(@Inject(SignedUrlService) private readonly signedUrls: SignedUrlService) {}

  @Access.reader()
  @Get('signurl')
  @ApiOperation({
    summary:
      'A presigned URL of an object on an RSE\'s S3 storage (Rucio get_signed_url; text). op=read: the issuer may read the scope of the DID ' +
      'the URL stands for (derived with lfn2pfn, or from the replica registered at that path); op=write: the issuer may write in that scope. ' +
      'URLs no DID can be derived from: administrators only.',
  })
  @ApiQuery({ name: 'rse', required: true })
  @ApiQuery({ name: 'url', required: true, description: 'The PFN (s3+http(s)://...) or the path-style S3 URL of the object' })
  @ApiQuery({ name: 'svc', required: false, enum: ['s3', 'gcs', 'swift'], description: 'Only s3 is signed; default gcs, as in Rucio' })
  @ApiQuery({ name: 'op', required: false, enum: ['read', 'write'] })
  @ApiQuery({ name: 'lifetime', required: false, description: 'Seconds (default 600, at most 604800)' })
  @Answers.text('The presigned URL.')
  async signUrl(@CurrentIssuer() issuer: Issuer, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    for (const parameter of ['rse', 'url']) {
      if (!text(query[parameter])) {
        throw new InvalidInput(`Parameter "${parameter}" not found: give rse, url, svc=s3, op (read or write) and lifetime in seconds.`, {
          rucioClass: 'InputValidationError',
        });
      }
    }
    const signed = await this.signedUrls.signUrl(issuer, {
      rse: text(query.rse)!,
      url: text(query.url)!,
      service: text(query.svc),
      operation: text(query.op),
      lifetime: text(query.lifetime),
    });
    res.status(200).type('text/plain').send(signed);
  }
}
