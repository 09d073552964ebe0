import { BadRequestException, Body, Controller, Delete, Get, Headers, Inject, NotFoundException, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { formatDid, InvalidInput, isTarnError, ReplicaState } from '@tarn/domain';
import { DatasetReplicaService, DidService, type Issuer, RseService, type RseDetails } from '@tarn/core';
import { type FileReplicas, type ListReplicasOptions, type ReplicaRef, ReplicaService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, rfc1123, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { created } from '../dids/did-answers.js';
import { unsupported } from '../dids/did-input.js';
import { mapRows } from '../dids/did.wire.js';
import { parseAddReplicas } from './add-replicas.input.js';
import { pfnCandidates, type ResolvedPfn } from './pfn-resolution.js';
import { mapYielding } from '@tarn/core/bounded.js';
import {
  AddReplicasDto,
  BadPfnsDto,
  DatasetsBulkDto,
  DeclareBadDidsDto,
  DeclareBadDto,
  DeclareSuspiciousDto,
  DeleteReplicasDto,
  ListReplicasDto,
  PfnsDto,
  TombstoneDto,
  UpdateReplicasDto,
} from './replica.dto.js';
import {
  BAD_REPLICA_LINE,
  badReplicaWire,
  DATASET_REPLICA_LINE,
  METALINK_HEAD,
  METALINK_TAIL,
  METALINK_TYPE,
  datasetReplicaWire,
  metalinkFile,
  NOT_DECLARED_ANSWER,
  replicaJsonRenderer,
  ReplicaListAnswer,
  replicaWire,
  type RseWireInfo,
  SUSPICIOUS_ANSWER,
} from './replica.wire.js';
import { streamRendered } from '../http/stream-rendered.js';
import { Access } from '../auth/access.decorator.js';
import { dateParameter, wholeNumberParameter } from '../http/query-parameters.js';
import { Answers, listOf, mapOf } from '../http/answers.js';
import { rowsOf } from '../rses/request-body.js';
import { DID_REF } from '../dids/did.wire.js';
import { BulkBody } from '../http/request-limits.js';

function schemesOf(schemes: string[] | string | null | undefined): string[] | undefined {
  if (schemes === null || schemes === undefined) return undefined;
  const list = Array.isArray(schemes) ? schemes : typeof schemes === 'string' ? schemes.split(',') : null;
  if (list === null || !list.every((s) => typeof s === 'string')) {
    throw new BadRequestException({ exceptionClass: 'InvalidObject', message: 'Invalid request: schemes must be a list of strings, e.g. ["root", "davs"].' });
  }
  const cleaned = list.map((s) => s.trim()).filter(Boolean);
  return cleaned.length > 0 ? cleaned : undefined;
}

const wantsMetalink = (accept: string | undefined) => typeof accept === 'string' && accept.includes(METALINK_TYPE);

interface ListRequest {
  dids: Array<{ scope: string; name: string }>;
  options: ListReplicasOptions;
  readableOnly: boolean;
  limit: number | null;
  nrandom?: number | null;
}

/** Rucio's /replicas routes: registration, listing (NDJSON or Metalink 4), states, bad replicas. */
@ApiTags('replicas')
@Controller('replicas')
export class ReplicasController {
  constructor(
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
    @Inject(RseService) private readonly rses: RseService,
    @Inject(DidService) private readonly dids: DidService,
    @Inject(DatasetReplicaService) private readonly collections: DatasetReplicaService,
  ) {}

  @Access.owner('scope')
  @Post()
  @ApiOperation({ summary: 'Registers file replicas on an RSE (Rucio add_replicas); files not yet registered are created' })
  @ApiBody({ type: AddReplicasDto })
  @Answers.created()
  @BulkBody()
  async add(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const { rse, files } = parseAddReplicas(body);
    await this.replicas.addReplicas(issuer, rse, files, { createMissingFiles: true });
    created(res);
  }

  @Access.owner('scope')
  @Put()
  @ApiOperation({ summary: 'Sets replica states (Rucio update_replicas_states)' })
  @Answers.empty()
  @BulkBody()
  async updateStates(@CurrentIssuer() issuer: Issuer, @Body() body: UpdateReplicasDto, @Res() res: Response): Promise<void> {
    await this.replicas.updateReplicaStates(issuer, body.files.map((f) => ({ scope: f.scope, name: f.name, rse: body.rse, state: f.state })));
    res.status(200).end();
  }

  /**
   * Rucio's generic policy refuses delete_replicas to every account: a replica row goes when the reaper has deleted
   * its file, so that the catalogue never forgets a file still on storage nor points at one that is gone.
   */
  @Access.nobody(
    'replica rows are removed by the reaper, after it has deleted their files. Delete the rules that lock them, or set a ' +
      'tombstone on unlocked replicas (POST /replicas/tombstone), and the reaper deletes them; declare a lost file bad (POST /replicas/bad).',
  )
  @Delete()
  @ApiOperation({ summary: "Rucio's delete_replicas, refused to every account as Rucio's generic policy does: the reaper removes replicas" })
  @ApiBody({ type: DeleteReplicasDto, description: "Rucio's body: {rse, files: [{scope, name}]}." })
  @ApiResponse({ status: 401, description: 'AccessDenied, to every account, saying how replicas are removed instead.' })
  deleteReplicas(): never {
    throw new Error('unreachable: the access policy refuses every caller');
  }

  @Access.reader()
  @Post('list')
  @ApiOperation({ summary: 'The replicas of files, datasets and containers (Rucio list_replicas): NDJSON, or Metalink 4 with Accept: application/metalink4+xml' })
  @ApiProduces('application/x-json-stream', METALINK_TYPE)
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many PFNs per file.' })
  @ReplicaListAnswer()
  @BulkBody()
  async list(
    @CurrentIssuer() issuer: Issuer,
    @Body() body: ListReplicasDto,
    @Query('limit') limit: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const request: ListRequest = {
      dids: body.dids.map((d) => ({ scope: d.scope, name: d.name })),
      options: {
        schemes: schemesOf(body.schemes),
        allStates: body.all_states === true,
        rseExpression: body.rse_expression ?? undefined,
        domain: body.domain === 'lan' ? 'lan' : 'wan',
        resolveParents: body.resolve_parents === true,
      },
      readableOnly: body.ignore_availability !== true,
      limit: limit !== undefined && /^\d+$/.test(limit) ? Number(limit) : null,
      nrandom: body.nrandom ?? null,
    };
    await this.answerList(issuer, request, accept, res);
  }

  @Access.admin()
  @Post('bad')
  @ApiOperation({ summary: 'Declares replicas bad, by PFN or {scope, name, rse}; answers the ones not declared, by RSE' })
  @Answers.json(NOT_DECLARED_ANSWER, 'Declared; the body lists the replicas that were not, by RSE.', 201)
  @BulkBody()
  async declareBad(@CurrentIssuer() issuer: Issuer, @Body() body: DeclareBadDto, @Res() res: Response): Promise<void> {
    const items = body.replicas && body.replicas.length > 0 ? body.replicas : (body.pfns ?? []);
    const { refs, notDeclared, note } = await this.replicaRefs(issuer, items);
    await this.declareWhatExists((remaining) => this.replicas.declareBadReplicas(issuer, remaining, body.reason ?? null), refs, note);
    sendJson(res, 201, notDeclared);
  }

  @Access.reader()
  @Post('suspicious')
  @ApiOperation({ summary: 'Declares replicas suspicious by PFN (Rucio declare_suspicious_file_replicas); answers the ones not declared, by RSE' })
  @Answers.json(NOT_DECLARED_ANSWER, 'Declared; the body lists the replicas that were not, by RSE.', 201)
  @BulkBody()
  async declareSuspicious(@CurrentIssuer() issuer: Issuer, @Body() body: DeclareSuspiciousDto, @Res() res: Response): Promise<void> {
    const { refs, notDeclared, note } = await this.replicaRefs(issuer, body.pfns);
    await this.declareWhatExists((remaining) => this.replicas.declareSuspiciousReplicas(issuer, remaining, body.reason ?? null), refs, note);
    sendJson(res, 201, notDeclared);
  }

  @Access.admin()
  @Post('bad/dids')
  @ApiOperation({ summary: 'Declares the replicas of files on one RSE bad; answers the ones not declared' })
  @Answers.json(listOf('string'), 'Declared; the body lists the replicas that were not.', 201)
  @BulkBody()
  async declareBadDids(@CurrentIssuer() issuer: Issuer, @Body() body: DeclareBadDidsDto, @Res() res: Response): Promise<void> {
    const notDeclared: string[] = [];
    const refs = body.dids.map((d) => ({ scope: d.scope, name: d.name, rse: body.rse }));
    await this.declareWhatExists((remaining) => this.replicas.declareBadReplicas(issuer, remaining, body.reason ?? null), refs, (_rse, text) => notDeclared.push(text));
    sendJson(res, 201, notDeclared);
  }

  @Access.account()
  @Get('suspicious')
  @ApiOperation({ summary: 'Replicas declared suspicious (Rucio list_suspicious_replicas): rse_expression, younger_than, nattempts' })
  @ApiQuery({ name: 'rse_expression', required: false })
  @ApiQuery({ name: 'younger_than', required: false, description: 'ISO 8601 date' })
  @ApiQuery({ name: 'nattempts', required: false })
  @Answers.json(listOf(SUSPICIOUS_ANSWER), 'The replicas declared suspicious.')
  async suspicious(
    @CurrentIssuer() issuer: Issuer,
    @Query('rse_expression') rseExpression: string | undefined,
    @Query('younger_than') youngerThan: string | undefined,
    @Query('nattempts') nattempts: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const found = await this.replicas.listSuspicious(issuer, {
      rseExpression: rseExpression || undefined,
      youngerThan: youngerThan ? dateParameter('younger_than', youngerThan) : undefined,
      nattempts: nattempts ? wholeNumberParameter('nattempts', nattempts) : undefined,
    });
    sendJson(
      res,
      200,
      found.map((r) => ({ scope: r.scope, name: r.name, rse: r.rse, rse_id: r.rseId, cnt: r.count, created_at: rfc1123(r.lastDeclaredAt) })),
    );
  }

  @Access.admin()
  @Get('bad/states')
  @ApiOperation({ summary: 'Declarations of bad, suspicious and lost replicas, newest first (Rucio list_bad_replicas_status; NDJSON; administrators).' })
  @ApiQuery({ name: 'state', required: false, enum: ['BAD', 'SUSPICIOUS', 'LOST'] })
  @ApiQuery({ name: 'rse', required: false })
  @ApiQuery({ name: 'younger_than', required: false, description: 'ISO 8601 date' })
  @ApiQuery({ name: 'older_than', required: false, description: 'ISO 8601 date' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1,000 (default 1,000)' })
  @ApiQuery({ name: 'offset', required: false, description: 'Declarations skipped first (Tarn: paging)' })
  @Answers.ndjson(BAD_REPLICA_LINE, 'The declarations.')
  async badStates(@CurrentIssuer() issuer: Issuer, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const text = (key: string): string | undefined => {
      const value = query[key];
      if (value === undefined || value === '') return undefined;
      if (typeof value !== 'string') throw new InvalidInput(`Give ${key} once.`, { rucioClass: 'InputValidationError' });
      return value;
    };
    const [limit, offset, youngerThan, olderThan] = [text('limit'), text('offset'), text('younger_than'), text('older_than')];
    const rows = await this.replicas.listBadReplicas(issuer, {
      state: text('state'),
      rse: text('rse'),
      youngerThan: youngerThan === undefined ? undefined : dateParameter('younger_than', youngerThan),
      olderThan: olderThan === undefined ? undefined : dateParameter('older_than', olderThan),
      limit: limit === undefined ? undefined : wholeNumberParameter('limit', limit),
      offset: offset === undefined ? undefined : wholeNumberParameter('offset', offset),
    });
    await streamNdjson(res, rowsOf(rows.map(badReplicaWire)));
  }

  // Before ':scope/:name', which would take 'rse' for a scope (Rucio orders its routes so too).
  @Access.account()
  @Get('rse/:rse')
  @ApiOperation({ summary: 'The datasets with files on an RSE, with how many of their files it holds (Rucio list_datasets_per_rse; NDJSON)' })
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many datasets.' })
  @Answers.ndjson(DATASET_REPLICA_LINE, 'The datasets on the RSE.')
  async datasetsOnRse(@CurrentIssuer() issuer: Issuer, @Param('rse') rse: string, @Query('limit') limit: string | undefined, @Res() res: Response): Promise<void> {
    const rows = await this.collections.onRse(issuer, rse, limit === undefined ? null : wholeNumberParameter('limit', limit));
    await streamNdjson(res, mapRows(rows, datasetReplicaWire));
  }

  @Access.reader()
  @Get(':scope/:name')
  @ApiOperation({ summary: 'The replicas of one DID (NDJSON, or Metalink 4 with Accept: application/metalink4+xml)' })
  @ApiProduces('application/x-json-stream', METALINK_TYPE)
  @ApiQuery({ name: 'schemes', required: false, description: 'Comma-separated schemes, e.g. root,davs' })
  @ApiQuery({ name: 'limit', required: false })
  @ReplicaListAnswer()
  async listOne(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Query('schemes') schemes: string | undefined,
    @Query('limit') limit: string | undefined,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const request: ListRequest = {
      dids: [{ scope, name }],
      options: { schemes: schemesOf(schemes) },
      readableOnly: false,
      limit: limit !== undefined && /^\d+$/.test(limit) ? Number(limit) : null,
    };
    await this.answerList(issuer, request, accept, res);
  }

  @Access.reader()
  @Get(':scope/:name/datasets')
  @ApiOperation({ summary: "A collection's replicas per RSE: how many of its files each RSE holds (Rucio list_dataset_replicas; NDJSON)" })
  @Answers.ndjson(DATASET_REPLICA_LINE, "The collection's replicas per RSE.")
  async datasetReplicas(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await streamNdjson(res, rowsOf((await this.collections.ofDids(issuer, [{ scope, name }])).map(datasetReplicaWire)));
  }

  @Access.reader()
  @Post('datasets_bulk')
  @ApiOperation({ summary: 'The replicas per RSE of many collections (Rucio list_dataset_replicas_bulk; NDJSON)' })
  @ApiBody({ type: DatasetsBulkDto })
  @Answers.ndjson(DATASET_REPLICA_LINE, 'Each collection\'s replicas per RSE.')
  @BulkBody({ items: 1000 })
  async datasetReplicasBulk(@CurrentIssuer() issuer: Issuer, @Body() body: DatasetsBulkDto, @Res() res: Response): Promise<void> {
    const dids = body.dids.map((d) => ({ scope: d.scope, name: d.name }));
    await streamNdjson(res, rowsOf((await this.collections.ofDids(issuer, dids)).map(datasetReplicaWire)));
  }

  @Access.admin()
  @Post('tombstone')
  @ApiOperation({ summary: 'Sets the epoch tombstone of unlocked replicas: the reaper deletes them next (Rucio set_tombstone)' })
  @ApiBody({ type: TombstoneDto })
  @Answers.created()
  @BulkBody()
  async tombstone(@CurrentIssuer() issuer: Issuer, @Body() body: TombstoneDto, @Res() res: Response): Promise<void> {
    await this.replicas.setTombstones(issuer, body.replicas.map((r) => ({ scope: r.scope, name: r.name, rse: r.rse })));
    created(res);
  }

  @Access.admin()
  @Post('bad/pfns')
  @ApiOperation({
    summary:
      'Declares replicas by PFN (Rucio add_bad_pfns): BAD (re-copied from another replica), SUSPICIOUS, or TEMPORARY_UNAVAILABLE until ' +
      'expires_at (not offered nor read meanwhile, AVAILABLE again after). A PFN that names no replica is a 404 and nothing is declared.',
  })
  @ApiBody({ type: BadPfnsDto })
  @Answers.created()
  @BulkBody()
  async badPfns(@CurrentIssuer() issuer: Issuer, @Body() body: BadPfnsDto, @Res() res: Response): Promise<void> {
    const state = String(body.state ?? 'BAD').toUpperCase();
    if (!['BAD', 'SUSPICIOUS', 'TEMPORARY_UNAVAILABLE'].includes(state)) {
      throw new BadRequestException({ exceptionClass: 'UnsupportedStatus', message: `state '${body.state}' is none of BAD, SUSPICIOUS, TEMPORARY_UNAVAILABLE.` });
    }
    const expiresAt = body.expires_at ? dateParameter('expires_at', String(body.expires_at)) : null;
    if (state !== 'TEMPORARY_UNAVAILABLE' && expiresAt) {
      throw new BadRequestException({ exceptionClass: 'InputValidationError', message: 'expires_at goes with state TEMPORARY_UNAVAILABLE only.' });
    }
    const { refs, notDeclared } = await this.replicaRefs(issuer, body.pfns);
    const unknown = Object.values(notDeclared).flat();
    if (unknown.length > 0) {
      throw new NotFoundException({ exceptionClass: 'ReplicaNotFound', message: `Nothing declared: ${unknown.slice(0, 10).join('; ')}${unknown.length > 10 ? ` (and ${unknown.length - 10} more)` : ''}.` });
    }
    const reason = body.reason ?? null;
    if (state === 'BAD') await this.replicas.declareBadReplicas(issuer, refs, reason);
    else if (state === 'SUSPICIOUS') await this.replicas.declareSuspiciousReplicas(issuer, refs, reason);
    else await this.replicas.declareTemporaryUnavailable(issuer, refs, reason, expiresAt);
    created(res);
  }

  @Access.account()
  @Post('dids')
  @ApiOperation({ summary: 'The DIDs of PFNs on an RSE (Rucio get_did_from_pfns; NDJSON of {pfn: {scope, name}})' })
  @ApiBody({ type: PfnsDto })
  @Answers.ndjson(mapOf(DID_REF, 'The DID of the PFN.'), 'One {pfn: {scope, name}} per PFN that names a file.')
  @BulkBody()
  async didsOfPfns(@CurrentIssuer() issuer: Issuer, @Body() body: PfnsDto, @Res() res: Response): Promise<void> {
    const rse = body.rse ? await this.rses.getRse(issuer, body.rse) : null;
    const details = rse ? [rse] : await Promise.all((await this.rses.listRses(issuer)).map((r) => this.rses.getRse(issuer, r.rse)));
    const resolve = await this.pfnResolver(body.pfns, details);
    const resolved = body.pfns.flatMap((pfn) => {
      const did = resolve(pfn);
      return did ? [{ pfn, scope: did.scope, name: did.name }] : [];
    });
    const readable = await this.replicas.readableOnly(issuer, resolved);
    await streamNdjson(res, rowsOf(readable.map((r) => ({ [r.pfn]: { scope: r.scope, name: r.name } }))));
  }

  /** Streams the listing as NDJSON or Metalink; files of collections without any replica are left out, as in Rucio. */
  private async answerList(issuer: Issuer, request: ListRequest, accept: string | undefined, res: Response): Promise<void> {
    const metalink = wantsMetalink(accept);
    if (request.dids.length === 0) {
      // As Rucio: replicas of no DIDs are no replicas.
      res.status(200).setHeader('Content-Type', metalink ? METALINK_TYPE : NDJSON_TYPE);
      res.end(metalink ? METALINK_HEAD + METALINK_TAIL : '');
      return;
    }
    const rseInfo = new Map<string, RseWireInfo>(
      (await this.rses.listRses(issuer)).map((r) => [r.id, { type: r.rseType, volatile: r.volatile, availabilityRead: r.availabilityRead }]),
    );
    const stream: AsyncIterable<FileReplicas> = await this.replicas.listReplicas(issuer, request.dids, request.options);
    const asked = new Set(request.dids.map((d) => formatDid(d)));
    const options = { rses: rseInfo, readableOnly: request.readableOnly, limit: request.limit, nrandom: request.nrandom };
    const json = replicaJsonRenderer();
    await streamRendered(res, stream, {
      contentType: metalink ? METALINK_TYPE : NDJSON_TYPE,
      head: metalink ? METALINK_HEAD : '',
      tail: metalink ? METALINK_TAIL : '',
      render: (file) => {
        const row = replicaWire(file, options);
        if (row.states.length === 0 && !asked.has(`${file.scope}:${file.name}`)) return null;
        return metalink ? metalinkFile(row) : json(row);
      },
    });
  }

  /**
   * The replicas that PFNs (resolved against the RSEs' protocols) or {scope, name, rse | rse_id} stand for, and a
   * note of the ones that name no replica, by RSE (Rucio's answer to declarations).
   */
  private async replicaRefs(issuer: Issuer, items: readonly unknown[]) {
    const notDeclared: Record<string, string[]> = {};
    const note = (rse: string, text: string) => (notDeclared[rse] ??= []).push(text);
    const summaries = await this.rses.listRses(issuer);
    const nameById = new Map(summaries.map((r) => [r.id, r.rse]));
    const pfns = items.filter((item): item is string => typeof item === 'string');
    const details: RseDetails[] = pfns.length > 0 ? await Promise.all(summaries.map((r) => this.rses.getRse(issuer, r.rse))) : [];
    const resolve = await this.pfnResolver(pfns, details);
    const refs: ReplicaRef[] = [];
    for (const [index, item] of items.entries()) {
      if (typeof item === 'string') {
        const resolved = resolve(item);
        if (resolved) refs.push({ scope: resolved.scope, name: resolved.name, rse: resolved.rse });
        else note('unknown', `${item} Unknown replica: no RSE protocol and DID path match this PFN`);
        continue;
      }
      const ref = item as { scope?: unknown; name?: unknown; rse?: unknown; rse_id?: unknown } | null;
      if (!ref || typeof ref !== 'object' || typeof ref.scope !== 'string' || typeof ref.name !== 'string') {
        throw unsupported(`replicas[${index}] must be a PFN or an object {scope, name, rse} (or rse_id).`);
      }
      const rse = typeof ref.rse === 'string' ? ref.rse : typeof ref.rse_id === 'string' ? nameById.get(ref.rse_id) : undefined;
      if (!rse) note(String(ref.rse ?? ref.rse_id ?? 'unknown'), `${ref.scope}:${ref.name} Unknown RSE`);
      else refs.push({ scope: ref.scope, name: ref.name, rse });
    }
    return { refs, notDeclared, note };
  }

  /**
   * Resolves PFNs to replicas: a PFN matching several RSEs (sharing a storage URL) names the one that has the replica.
   * Each PFN's candidates are worked out once (an md5 per path split), a chunk at a time.
   */
  private async pfnResolver(pfns: readonly string[], details: readonly RseDetails[]): Promise<(pfn: string) => ResolvedPfn | null> {
    const candidatesOf = new Map<string, ResolvedPfn[]>();
    await mapYielding(pfns, (pfn) => candidatesOf.set(pfn, pfnCandidates(pfn, details)));
    const existing = new Set((await this.replicas.existingReplicas([...candidatesOf.values()].flat())).map((r) => `${r.scope}:${r.name}@${r.rse}`));
    return (pfn) => {
      const candidates = candidatesOf.get(pfn) ?? pfnCandidates(pfn, details);
      return candidates.find((c) => existing.has(`${c.scope}:${c.name}@${c.rse}`)) ?? candidates[0] ?? null;
    };
  }

  /** Declares the replicas that exist; the others (unknown RSE or replica) are noted, as Rucio answers them. */
  private async declareWhatExists(declare: (refs: ReplicaRef[]) => Promise<number>, refs: ReplicaRef[], note: (rse: string, text: string) => void): Promise<void> {
    let remaining = refs;
    for (let round = 0; remaining.length > 0 && round <= refs.length; round++) {
      try {
        await declare(remaining);
        return;
      } catch (error) {
        if (!isTarnError(error)) throw error;
        const missing = error.rucioClass === 'ReplicaNotFound' ? ((error.details.missing as ReplicaRef[] | undefined) ?? []) : [];
        const unknownRse = error.rucioClass === 'RSENotFound' ? String(error.details.rse) : null;
        const gone = new Set(missing.map((m) => `${formatDid(m)}@${m.rse}`));
        const next = remaining.filter((r) => !gone.has(`${formatDid(r)}@${r.rse}`) && r.rse !== unknownRse);
        if (next.length === remaining.length) throw error;
        for (const r of remaining) {
          if (r.rse === unknownRse) note(r.rse, `${formatDid(r)} Unknown RSE`);
          else if (gone.has(`${formatDid(r)}@${r.rse}`)) note(r.rse, `${formatDid(r)} Unknown replica`);
        }
        remaining = next;
      }
    }
  }
}
