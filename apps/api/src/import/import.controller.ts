import { Body, Controller, HttpCode, HttpStatus, Inject, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CatalogueImportService, type Issuer } from '@tarn/core';
import { Access } from '../auth/access.decorator.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Answers, listOf, mapOf, shape } from '../http/answers.js';
import { catalogueImport } from './import.wire.js';

const IMPORT_BODY = shape({
  rses: mapOf(
    { type: 'object', additionalProperties: true, description: 'An RSE as GET /export answers it: its properties, protocols, attributes and limits.' },
    'RSEs by name: created when new, else their given properties changed; protocols updated or added, attributes and limits set (nothing removed).',
  ),
  distances: mapOf(mapOf(shape({ distance: 'integer', ranking: 'integer' })), 'Distances by source RSE, then destination RSE.'),
  accounts: {
    ...listOf(
      shape({
        account: 'string',
        email: 'string',
        identities: listOf(shape({ type: 'string', identity: 'string', password: 'string' })),
      }),
    ),
    description: 'When given, the complete list of accounts: missing ones are added (USER), emails updated, identities made exactly those listed, and every other account but root and the importing one removed.',
  },
});

/** Rucio's POST /import: the inverse of GET /export, for another instance or a restore (administrators). */
@ApiTags('export')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('import')
export class ImportController {
  constructor(@Inject(CatalogueImportService) private readonly importer: CatalogueImportService) {}

  @Access.admin()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Imports RSEs (with protocols, attributes, limits), distances and accounts, as GET /export answers them (Rucio import_data)' })
  @ApiBody({ schema: IMPORT_BODY })
  @Answers.created()
  async import(@CurrentIssuer() issuer: Issuer, @Body() body: unknown): Promise<string> {
    await this.importer.importData(issuer, catalogueImport(body));
    return 'Created';
  }
}
