import { Body, Controller, Delete, Get, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NotFound, guidWire } from '@tarn/domain';
import { DidMetadataService, DidService, type Issuer } from '@tarn/core';
import { ReplicaService } from '@tarn/core';
import { RuleService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { rfc1123, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { AddDidDto, AttachDto, DetachDto, DidStatusDto, SetMetaBulkDto, SetMetaDto } from './did.dto.js';
import { newDidOf, replicaFilesOf, ruleSpecOf, unsupported } from './did-input.js';
import { RULE_ANSWER, ruleToWire } from '../rules/rule.wire.js';
import { CONTENT_HISTORY_LINE, CONTENT_LINE, DID_ANSWER, DID_METADATA_ANSWER, didTypeWire, didWire, FILE_LINE, mapRows, PARENT_LINE } from './did.wire.js';
import { created, metadataOf } from './did-answers.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { BulkBody } from '../http/request-limits.js';

/** Routes on one DID: /dids/{scope}/{name}[/...] (names with '/' arrive folded into one segment, see did-path). */
@ApiTags('dids')
@Controller('dids')
export class DidsController {
  constructor(
    @Inject(DidService) private readonly dids: DidService,
    @Inject(DidMetadataService) private readonly metadata: DidMetadataService,
    @Inject(RuleService) private readonly rules: RuleService,
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
  ) {}

  @Access.reader()
  @Get(':scope/:name')
  @ApiOperation({ summary: "A DID's properties (Rucio get_did); dynamic_depth=FILE|DATASET computes a collection's totals" })
  @Answers.json(DID_ANSWER, "The DID's properties.")
  async get(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Query('dynamic_depth') dynamicDepth: string | undefined,
    @Query('dynamic') dynamic: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const depth = dynamicDepth !== undefined ? dynamicDepth : dynamic !== undefined ? 'FILE' : null;
    sendJson(res, 200, didWire(await this.dids.get(issuer, scope, name, { dynamicDepth: depth })));
  }

  @Access.reader()
  @Get(':scope/:name/status')
  @ApiOperation({ summary: 'Same as GET /dids/{scope}/{name}' })
  @Answers.json(DID_ANSWER, "The DID's properties.")
  async getStatus(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    sendJson(res, 200, didWire(await this.dids.get(issuer, scope, name)));
  }

  @Access.owner('scope')
  @Post(':scope/:name')
  @ApiOperation({ summary: 'Registers a dataset or container (Rucio add_did), optionally with content, replicas on rse, and rules' })
  @Answers.created()
  @BulkBody()
  async add(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Body() body: AddDidDto,
    @Res() res: Response,
  ): Promise<void> {
    if (body.rse && body.dids?.length) await this.replicas.addReplicas(issuer, body.rse, replicaFilesOf(body.dids), { createMissingFiles: true });
    await this.dids.addDids(issuer, [newDidOf(scope, name, body)]);
    if (body.rules?.length) await this.rules.addRules(issuer, body.rules.map((rule) => ruleSpecOf(rule, { scope, name })));
    created(res);
  }

  @Access.owner('scope')
  @Put(':scope/:name/status')
  @ApiOperation({ summary: 'Closes ({"open": false}) or reopens (administrators) a dataset or container' })
  @Answers.empty()
  async setStatus(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Body() body: DidStatusDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.dids.setStatus(issuer, scope, name, { open: body.open });
    res.status(200).end();
  }

  @Access.reader()
  @Get(':scope/:name/dids')
  @ApiOperation({ summary: 'The direct content of a collection (NDJSON)' })
  @Answers.ndjson(CONTENT_LINE, 'The DIDs attached to the collection.')
  async content(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const rows = await this.dids.listContent(issuer, scope, name);
    await streamNdjson(
      res,
      mapRows(rows, (r) => ({ scope: r.scope, name: r.name, type: didTypeWire(r.didType), bytes: r.bytes, adler32: r.adler32, md5: r.md5 })),
    );
  }

  @Access.reader()
  @Get(':scope/:name/dids/history')
  @ApiOperation({ summary: 'What was detached from a collection, or went with it (NDJSON, oldest first; Rucio list_content_history)' })
  @Answers.ndjson(CONTENT_HISTORY_LINE, 'What was detached from the collection, oldest first.')
  async contentHistory(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const rows = await this.dids.listContentHistory(issuer, scope, name);
    await streamNdjson(
      res,
      mapRows(rows, (r) => ({
        scope: r.scope,
        name: r.name,
        type: didTypeWire(r.didType),
        bytes: r.bytes,
        adler32: r.adler32,
        md5: r.md5,
        created_at: rfc1123(r.createdAt),
        updated_at: rfc1123(r.deletedAt),
        deleted_at: rfc1123(r.deletedAt),
      })),
    );
  }

  @Access.owner('scope')
  @Post(':scope/:name/dids')
  @ApiOperation({ summary: 'Attaches DIDs to a collection; with rse, registers the files and their replicas there first' })
  @Answers.created()
  @BulkBody()
  async attach(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Body() body: AttachDto,
    @Res() res: Response,
  ): Promise<void> {
    if (body.rse && body.dids.length > 0) await this.replicas.addReplicas(issuer, body.rse, replicaFilesOf(body.dids), { createMissingFiles: true });
    await this.dids.attach(issuer, [{ scope, name, dids: body.dids }]);
    created(res);
  }

  @Access.owner('scope')
  @Delete(':scope/:name/dids')
  @ApiOperation({ summary: 'Detaches DIDs from a collection' })
  @Answers.empty()
  @BulkBody()
  async detach(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Body() body: DetachDto,
    @Res() res: Response,
  ): Promise<void> {
    await this.dids.detach(issuer, [{ scope, name, dids: body.dids }]);
    res.status(200).end();
  }

  @Access.reader()
  @Get(':scope/:name/files')
  @ApiOperation({ summary: 'Every file below a DID (NDJSON)' })
  @Answers.ndjson(FILE_LINE, 'Every file below the DID.')
  async files(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const rows = await this.dids.listFiles(issuer, scope, name);
    await streamNdjson(
      res,
      mapRows(rows, (f) => ({ scope: f.scope, name: f.name, bytes: f.bytes, adler32: f.adler32, md5: f.md5, guid: guidWire(f.guid), events: f.events })),
    );
  }

  @Access.reader()
  @Get(':scope/:name/parents')
  @ApiOperation({ summary: 'The collections a DID is attached to (NDJSON)' })
  @Answers.ndjson(PARENT_LINE, 'The collections the DID is attached to.')
  async parents(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const rows = await this.dids.listParents(issuer, scope, name);
    await streamNdjson(res, mapRows(rows, (p) => ({ scope: p.scope, name: p.name, type: didTypeWire(p.didType) })));
  }

  @Access.reader()
  @Get(':scope/:name/meta')
  @ApiOperation({ summary: "A DID's metadata: plugin DID_COLUMN (default, the DID's columns), JSON (free metadata) or ALL" })
  @ApiQuery({ name: 'plugin', required: false, enum: ['DID_COLUMN', 'JSON', 'ALL'] })
  @Answers.json(DID_METADATA_ANSWER, 'The metadata.')
  async getMeta(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Query('plugin') plugin: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    sendJson(res, 200, await metadataOf(this.dids, this.metadata, issuer, { scope, name }, plugin));
  }

  @Access.owner('scope')
  @Post(':scope/:name/meta')
  @ApiOperation({ summary: 'Sets several metadata keys ({"meta": {...}}); the key lifetime sets the expiry' })
  @Answers.created()
  async setMetaBulk(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Body() body: SetMetaBulkDto,
    @Res() res: Response,
  ): Promise<void> {
    if (body.recursive) throw unsupported('Setting metadata recursively is not supported: set it on each DID (POST /dids/bulkdidsmeta).');
    await this.metadata.setMetadataBulk(issuer, scope, name, body.meta);
    created(res);
  }

  @Access.owner('scope')
  @Delete(':scope/:name/meta')
  @ApiOperation({ summary: 'Deletes the metadata key given as ?key=' })
  @ApiQuery({ name: 'key', required: true, description: 'The metadata key to delete.' })
  @Answers.empty()
  async deleteMeta(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Query('key') key: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (typeof key !== 'string' || key === '') {
      throw new NotFound(`No metadata key given to delete from ${scope}:${name}: add ?key=<key>.`, { rucioClass: 'KeyNotFound' });
    }
    await this.metadata.deleteMetadata(issuer, scope, name, key);
    res.status(200).end();
  }

  @Access.owner('scope')
  @Post(':scope/:name/meta/:key')
  @ApiOperation({ summary: 'Sets one metadata key ({"value": ...}); the key lifetime sets the expiry' })
  @Answers.created()
  async setMeta(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Param('key') key: string,
    @Body() body: SetMetaDto,
    @Res() res: Response,
  ): Promise<void> {
    if (body.recursive) throw unsupported('Setting metadata recursively is not supported: set it on each DID (POST /dids/bulkdidsmeta).');
    if (!('value' in body)) throw unsupported(`No value given for metadata key '${key}' of ${scope}:${name}: send {"value": ...}.`);
    await this.metadata.setMetadata(issuer, scope, name, key, body.value);
    created(res);
  }

  @Access.reader()
  @Get(':scope/:name/rules')
  @ApiOperation({ summary: 'The replication rules on a DID (NDJSON)' })
  @Answers.ndjson(RULE_ANSWER, 'The rules on the DID.')
  async didRules(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const rules = await this.rules.listRulesOfDid(issuer, { scope, name });
    await streamNdjson(res, mapRows(rules, ruleToWire));
  }

  @Access.reader()
  @Get(':scope/:name/associated_rules')
  @ApiOperation({ summary: 'The rules protecting a DID: on it and on every collection above it (NDJSON)' })
  @Answers.ndjson(RULE_ANSWER, 'The rules on the DID and on every collection above it.')
  async associatedRules(
    @CurrentIssuer() issuer: Issuer,
    @Param('scope') scope: string,
    @Param('name') name: string,
    @Res() res: Response,
  ): Promise<void> {
    const rules = await this.rules.listAssociatedRules(issuer, { scope, name });
    await streamNdjson(res, mapRows(rules, ruleToWire));
  }
}
