import { Controller, Get, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DidMetadataService, DidService, type DidFilterInput, type Issuer } from '@tarn/core';
import { normalizeGuid } from '@tarn/domain';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { rowsOf } from '../rses/request-body.js';
import { unsupported } from './did-input.js';
import { didTypeWire, didWire, DID_ANSWER, DID_REF, mapRows, SCOPE_LIST_LINE, SEARCH_LINE } from './did.wire.js';
import { parsePythonLiteral } from './python-literal.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';

const SEARCH_PARAMS = new Set(['type', 'limit', 'long', 'recursive', 'filters', 'offset']);
const DID_TYPE_SELECTORS = ['all', 'collection', 'container', 'dataset', 'file'];
const isTrue = (value: unknown) => typeof value === 'string' && ['true', '1'].includes(value.toLowerCase());

/** Listing and searching the DIDs of a scope. */
@ApiTags('dids')
@Controller('dids')
export class DidSearchController {
  constructor(
    @Inject(DidMetadataService) private readonly metadata: DidMetadataService,
    @Inject(DidService) private readonly dids: DidService,
  ) {}

  @Access.reader()
  @Get(':guid/guid')
  @ApiOperation({
    summary:
      'The datasets holding the file with this GUID (Rucio get_dataset_by_guid; NDJSON of {scope, name}). ' +
      'A first segment that is no GUID names a scope: the DID called "guid" in it is answered, as GET /dids/{scope}/{name}.',
  })
  @ApiResponse({
    status: 200,
    description: 'The datasets holding the file, one {scope, name} per line; or, for a scope, the DID called "guid" in it.',
    content: { [NDJSON_TYPE]: { schema: DID_REF }, 'application/json': { schema: DID_ANSWER } },
  })
  async byGuid(@CurrentIssuer() issuer: Issuer, @Param('guid') guid: string, @Res() res: Response): Promise<void> {
    if (!normalizeGuid(guid)) {
      sendJson(res, 200, didWire(await this.dids.get(issuer, guid, 'guid')));
      return;
    }
    await streamNdjson(res, rowsOf(await this.dids.datasetsByGuid(issuer, guid)));
  }

  @Access.reader()
  @Get(':scope/dids/search')
  @ApiOperation({ summary: 'DIDs of a scope matching metadata filters (Rucio list_dids; NDJSON of names, or dicts with long=True)' })
  @ApiQuery({ name: 'filters', required: false, description: "A list of dicts as Python or JSON literal, e.g. [{'run_number.gte': 5}]" })
  @ApiQuery({ name: 'type', required: false, enum: ['all', 'collection', 'container', 'dataset', 'file'] })
  @ApiQuery({ name: 'long', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'offset', required: false, description: 'DIDs skipped before the first one answered (Tarn: paging, with limit).' })
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
    const offset = typeof query.offset === 'string' && /^\d+$/.test(query.offset) ? Number(query.offset) : ((query.offset ?? null) as number | null);
    const type = typeof query.type === 'string' ? query.type : 'collection';
    if (!DID_TYPE_SELECTORS.includes(type.toLowerCase())) {
      throw unsupported(`'${type}' is not a valid DID type to search for: use all, collection, container, dataset or file.`);
    }
    const rows = await this.metadata.search(issuer, scope, { filters, type, limit, offset, recursive: isTrue(query.recursive) });
    await streamNdjson(
      res,
      mapRows(rows, (d) => (long ? { scope: d.scope, name: d.name, did_type: didTypeWire(d.didType), bytes: d.bytes, length: d.length } : d.name)),
    );
  }

  @Access.reader()
  @Get(':scope')
  @ApiOperation({
    summary:
      "The DIDs of a scope (Rucio scope_list; NDJSON): those matching name ('*' wildcards), or with no name those attached to no " +
      'collection; recursive=True adds everything below each, depth-first, with its parent and level.',
  })
  @ApiQuery({ name: 'name', required: false, description: 'A name pattern with * wildcards.' })
  @ApiQuery({ name: 'recursive', required: false, description: 'True: everything below each DID too.' })
  @Answers.ndjson(SCOPE_LIST_LINE, 'The DIDs of the scope, each with the collection it was reached from and its depth.')
  async scopeList(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Query('name') name: string | undefined,
    @Query('recursive') recursive: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const rows = await this.dids.listTree(issuer, scope, { name: typeof name === 'string' && name !== '' ? name : null, recursive: isTrue(recursive) });
    await streamNdjson(res, mapRows(rows, (d) => ({ scope: d.scope, name: d.name, type: didTypeWire(d.didType), parent: d.parent, level: d.level })));
  }
}
