import { BadRequestException, Body, Controller, Delete, Get, Headers, HttpException, HttpStatus, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { formatDid, isTarnError, ReplicaState } from '@tarn/domain';
import { DidService, type Issuer, RseService, type RseDetails } from '@tarn/core';
import { type FileReplicas, type ListReplicasOptions, type ReplicaRef, ReplicaService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, rfc1123, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { created } from '../dids/did-answers.js';
import { unsupported } from '../dids/did-input.js';
import { mapRows } from '../dids/did.wire.js';
import { parseAddReplicas } from './add-replicas.input.js';
import { resolvePfn } from './pfn-resolution.js';
import { AddReplicasDto, DeclareBadDidsDto, DeclareBadDto, DeclareSuspiciousDto, DeleteReplicasDto, ListReplicasDto, UpdateReplicasDto } from './replica.dto.js';
import {
  DATASET_REPLICA_LINE,
  METALINK_HEAD,
  METALINK_TAIL,
  METALINK_TYPE,
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
import { Answers, listOf } from '../http/answers.js';

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
}

/** Rucio's /replicas routes: registration, listing (NDJSON or Metalink 4), states, bad replicas. */
@ApiTags('replicas')
@Controller('replicas')
export class ReplicasController {
  constructor(
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
    @Inject(RseService) private readonly rses: RseService,
    @Inject(DidService) private readonly dids: DidService,
  ) {}

  @Access.owner('scope')
  @Post()
  @ApiOperation({ summary: 'Registers file replicas on an RSE (Rucio add_replicas); files not yet registered are created' })
  @ApiBody({ type: AddReplicasDto })
  @Answers.created('application/json')
  async add(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const { rse, files } = parseAddReplicas(body);
    await this.replicas.addReplicas(issuer, rse, files, { createMissingFiles: true });
    created(res);
  }

  @Access.owner('scope')
  @Put()
  @ApiOperation({ summary: 'Sets replica states (Rucio update_replicas_states)' })
  @Answers.empty()
  async updateStates(@CurrentIssuer() issuer: Issuer, @Body() body: UpdateReplicasDto, @Res() res: Response): Promise<void> {
    await this.replicas.updateReplicaStates(issuer, body.files.map((f) => ({ scope: f.scope, name: f.name, rse: body.rse, state: f.state })));
    res.status(200).end();
  }

  @Access.admin()
  @Delete()
  @ApiOperation({ summary: 'Deletes replicas from the catalogue (Rucio delete_replicas): not available yet' })
  @ApiResponse({ status: 501, description: 'NotImplemented: replica rows are not deleted yet; set a tombstone instead.' })
  deleteReplicas(@Body() body: DeleteReplicasDto): never {
    throw new HttpException(
      {
        exceptionClass: 'UnsupportedOperation',
        message:
          `Deleting replica rows is not available yet (${body.files.length} replica(s) on ${body.rse} left as they are). ` +
          'Set a tombstone instead (POST /replicas/tombstone) and the reaper deletes them.',
      },
      HttpStatus.NOT_IMPLEMENTED,
    );
  }

  @Access.reader()
  @Post('list')
  @ApiOperation({ summary: 'The replicas of files, datasets and containers (Rucio list_replicas): NDJSON, or Metalink 4 with Accept: application/metalink4+xml' })
  @ApiProduces('application/x-json-stream', METALINK_TYPE)
  @ApiQuery({ name: 'limit', required: false, description: 'At most this many PFNs per file.' })
  @ReplicaListAnswer()
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
    };
    await this.answerList(issuer, request, accept, res);
  }

  @Access.admin()
  @Post('bad')
  @ApiOperation({ summary: 'Declares replicas bad, by PFN or {scope, name, rse}; answers the ones not declared, by RSE' })
  @Answers.json(NOT_DECLARED_ANSWER, 'Declared; the body lists the replicas that were not, by RSE.', 201)
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
  async declareSuspicious(@CurrentIssuer() issuer: Issuer, @Body() body: DeclareSuspiciousDto, @Res() res: Response): Promise<void> {
    const { refs, notDeclared, note } = await this.replicaRefs(issuer, body.pfns);
    await this.declareWhatExists((remaining) => this.replicas.declareSuspiciousReplicas(issuer, remaining, body.reason ?? null), refs, note);
    sendJson(res, 201, notDeclared);
  }

  @Access.admin()
  @Post('bad/dids')
  @ApiOperation({ summary: 'Declares the replicas of files on one RSE bad; answers the ones not declared' })
  @Answers.json(listOf('string'), 'Declared; the body lists the replicas that were not.', 201)
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
    const did = await this.dids.get(issuer, scope, name);
    // Only states and sizes are needed here: a scheme no protocol has spares building PFNs.
    const files = await this.replicas.listReplicas(issuer, [{ scope, name }], { allStates: true, schemes: ['-'] });
    let length = 0;
    let bytes = 0;
    const perRse = new Map<string, { rse: string; rse_id: string; files: number; bytes: number; availableFiles: number; availableBytes: number }>();
    for await (const file of files) {
      length += 1;
      bytes += file.bytes ?? 0;
      for (const replica of file.replicas) {
        let entry = perRse.get(replica.rseId);
        if (!entry) perRse.set(replica.rseId, (entry = { rse: replica.rse, rse_id: replica.rseId, files: 0, bytes: 0, availableFiles: 0, availableBytes: 0 }));
        entry.files += 1;
        entry.bytes += file.bytes ?? 0;
        if (replica.state === ReplicaState.AVAILABLE) {
          entry.availableFiles += 1;
          entry.availableBytes += file.bytes ?? 0;
        }
      }
    }
    const rows = [...perRse.values()]
      .sort((a, b) => (a.rse < b.rse ? -1 : 1))
      .map((r) => ({
        scope,
        name,
        rse: r.rse,
        rse_id: r.rse_id,
        bytes,
        length,
        available_bytes: r.availableBytes,
        available_length: r.availableFiles,
        state: r.availableFiles === length ? 'AVAILABLE' : 'UNAVAILABLE',
        created_at: rfc1123(did.createdAt),
        updated_at: rfc1123(did.updatedAt),
        accessed_at: rfc1123(did.accessedAt),
      }));
    await streamNdjson(res, mapRows(rows, (row) => row));
  }

  /** Streams the listing as NDJSON or Metalink; files of collections without any replica are left out, as in Rucio. */
  private async answerList(issuer: Issuer, request: ListRequest, accept: string | undefined, res: Response): Promise<void> {
    const rseInfo = new Map<string, RseWireInfo>(
      (await this.rses.listRses(issuer)).map((r) => [r.id, { type: r.rseType, volatile: r.volatile, availabilityRead: r.availabilityRead }]),
    );
    const stream: AsyncIterable<FileReplicas> = await this.replicas.listReplicas(issuer, request.dids, request.options);
    const asked = new Set(request.dids.map((d) => formatDid(d)));
    const options = { rses: rseInfo, readableOnly: request.readableOnly, limit: request.limit };
    const metalink = wantsMetalink(accept);
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
    let details: RseDetails[] | null = null;
    const refs: ReplicaRef[] = [];
    for (const [index, item] of items.entries()) {
      if (typeof item === 'string') {
        details ??= await Promise.all(summaries.map((r) => this.rses.getRse(issuer, r.rse)));
        const resolved = resolvePfn(item, details);
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
