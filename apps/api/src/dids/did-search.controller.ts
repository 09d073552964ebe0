import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DidMetadataService, type DidFilterInput, type Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { streamNdjson } from '../http/rucio-wire.js';
import { unsupported } from './did-input.js';
import { didTypeWire, mapRows, SCOPE_LIST_LINE, SEARCH_LINE } from './did.wire.js';
import { parsePythonLiteral } from './python-literal.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';

const SEARCH_PARAMS = new Set(['type', 'limit', 'long', 'recursive', 'filters']);
const DID_TYPE_SELECTORS = ['all', 'collection', 'container', 'dataset', 'file'];
const isTrue = (value: unknown) => typeof value === 'string' && ['true', '1'].includes(value.toLowerCase());

/** Listing and searching the DIDs of a scope. */
@ApiTags('dids')
@Controller('dids')
export class DidSearchController {
  constructor(@Inject(DidMetadataService) private readonly metadata: DidMetadataService) {}

  @Access.reader()
  @Get(':scope/dids/search')
  @ApiOperation({ summary: 'DIDs of a scope matching metadata filters (Rucio list_dids; NDJSON of names, or dicts with long=True)' })
  @ApiQuery({ name: 'filters', required: false, description: "A list of dicts as Python or JSON literal, e.g. [{'run_number.gte': 5}]" })
  @ApiQuery({ name: 'type', required: false, enum: ['all', 'collection', 'container', 'dataset', 'file'] })
  @ApiQuery({ name: 'long', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'recursive', required: false, description: 'Also the matching DIDs inside the collections found, at any depth' })
  @Answers.ndjson(SEARCH_LINE, 'The matching DIDs.')
  async search(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Query() query: Record<string, unknown>,
    @Res() res: Response,
  ): Promise<void> {
    let filters: DidFilterInput;
    if (typeof query.filters === 'string') {
      filters = parsePythonLiteral(query.filters, 'the filters') as DidFilterInput;
    } else {
      // Older clients pass the filters as plain query parameters (name, created_after, length.gt, ...).
      const legacy = Object.fromEntries(Object.entries(query).filter(([key, value]) => !SEARCH_PARAMS.has(key) && typeof value === 'string'));
      filters = [legacy];
    }
    const long = isTrue(query.long);
    // A limit that is not a whole number goes to the service as given, which refuses it naming the value.
    const limit = typeof query.limit === 'string' && /^\d+$/.test(query.limit) ? Number(query.limit) : ((query.limit ?? null) as number | null);
    const type = typeof query.type === 'string' ? query.type : 'collection';
    if (!DID_TYPE_SELECTORS.includes(type.toLowerCase())) {
      throw unsupported(`'${type}' is not a valid DID type to search for: use all, collection, container, dataset or file.`);
    }
    const rows = await this.metadata.search(issuer, scope, { filters, type, limit, recursive: isTrue(query.recursive) });
    await streamNdjson(
      res,
      mapRows(rows, (d) => (long ? { scope: d.scope, name: d.name, did_type: didTypeWire(d.didType), bytes: d.bytes, length: d.length } : d.name)),
    );
  }

  @Access.reader()
  @Get(':scope')
  @ApiOperation({ summary: 'The DIDs of a scope, optionally those matching a name pattern (Rucio scope_list; NDJSON)' })
  @ApiQuery({ name: 'name', required: false, description: 'A name pattern with * wildcards.' })
  @Answers.ndjson(SCOPE_LIST_LINE, 'The DIDs of the scope.')
  async scopeList(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Query('name') name: string | undefined,
    @Query('recursive') recursive: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (isTrue(recursive)) throw unsupported('Recursive scope listing is not supported yet: list the content of a collection with GET /dids/{scope}/{name}/dids.');
    const rows = await this.metadata.listDids(issuer, scope, { name: typeof name === 'string' && name !== '' ? name : '*', type: 'all' });
    await streamNdjson(res, mapRows(rows, (d) => ({ scope: d.scope, name: d.name, type: didTypeWire(d.didType), parent: null, level: 0 })));
  }
}
