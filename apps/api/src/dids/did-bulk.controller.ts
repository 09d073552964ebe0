import { guidWire } from '@tarn/domain';
import { Body, Controller, Inject, Post, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DidMetadataService, DidService, type Issuer } from '@tarn/core';
import { ReplicaService } from '@tarn/core';
import { RuleService } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { streamNdjson } from '../http/rucio-wire.js';
import { AttachmentDto, AttachmentsDto, BulkDidDto, BulkFilesDto, BulkMetaDto, DidSampleDto, DidsMetaBulkDto } from './did.dto.js';
import { newDidOf, replicaFilesOf, ruleSpecOf, unsupported } from './did-input.js';
import { created, metadataAnswer, metadataPlugin } from './did-answers.js';
import { rowsOf } from '../rses/request-body.js';
import { validateList, validateObject } from '../http/body-validation.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';
import { BULK_FILE_LINE, DID_METADATA_ANSWER } from './did.wire.js';
import { BulkBody } from '../http/request-limits.js';

/** Routes on many DIDs at once: /dids (bulk add), /dids/attachments, /dids/bulkdidsmeta, /dids/bulkmeta, /dids/bulkfiles, /dids/sample. */
@ApiTags('dids')
@Controller('dids')
export class DidBulkController {
  constructor(
    @Inject(DidService) private readonly dids: DidService,
    @Inject(DidMetadataService) private readonly metadata: DidMetadataService,
    @Inject(RuleService) private readonly rules: RuleService,
    @Inject(ReplicaService) private readonly replicas: ReplicaService,
  ) {}

  @Access.owner('scope')
  @Post()
  @ApiOperation({ summary: 'Registers many DIDs in one unit of work (Rucio add_dids)' })
  @ApiBody({ type: [BulkDidDto] })
  @Answers.created()
  @BulkBody()
  async addDids(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const entries = await validateList(BulkDidDto, body, 'dids');
    for (const entry of entries) {
      if (entry.rse && entry.dids?.length) await this.replicas.addReplicas(issuer, entry.rse, replicaFilesOf(entry.dids), { createMissingFiles: true });
    }
    await this.dids.addDids(issuer, entries.map((e) => newDidOf(e.scope, e.name, e, e.account)));
    const specs = entries.flatMap((e) => (e.rules ?? []).map((rule) => ruleSpecOf(rule, { scope: e.scope, name: e.name })));
    if (specs.length > 0) await this.rules.addRules(issuer, specs);
    created(res);
  }

  @Access.owner('scope')
  @Post('attachments')
  @ApiOperation({ summary: 'Attaches DIDs to many collections at once (Rucio attach_dids_to_dids)' })
  @ApiBody({ type: AttachmentsDto })
  @Answers.created()
  @BulkBody()
  async attachments(@CurrentIssuer() issuer: Issuer, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const plain = Array.isArray(body) ? { attachments: body } : body;
    // Each attachment on its own, so that one of 10,000 files is validated a chunk at a time too.
    const request = await validateObject(AttachmentsDto, { ...(plain as object), attachments: [] });
    request.attachments = await validateList(AttachmentDto, (plain as { attachments?: unknown }).attachments, 'attachments');
    for (const attachment of request.attachments) {
      if (attachment.rse && attachment.dids.length > 0) {
        await this.replicas.addReplicas(issuer, attachment.rse, replicaFilesOf(attachment.dids), { createMissingFiles: true });
      }
    }
    await this.dids.attach(
      issuer,
      request.attachments.map((a) => ({ scope: a.scope, name: a.name, dids: a.dids })),
      { ignoreDuplicate: request.ignore_duplicate === true },
    );
    created(res);
  }

  @Access.owner('scope')
  @Post('bulkdidsmeta')
  @ApiOperation({ summary: 'Sets metadata of many DIDs in one statement' })
  @Answers.created()
  @BulkBody()
  async setDidsMetadata(@CurrentIssuer() issuer: Issuer, @Body() body: DidsMetaBulkDto, @Res() res: Response): Promise<void> {
    if (body.recursive) throw unsupported('Setting metadata recursively is not supported: list each DID with its metadata.');
    await this.metadata.setDidsMetadata(issuer, body.dids.map((d) => ({ scope: d.scope, name: d.name, meta: d.meta })));
    created(res);
  }

  @Access.reader()
  @Post('bulkmeta')
  @ApiOperation({ summary: 'The metadata of many DIDs (NDJSON, one object per DID that exists, with scope and name; plugin DID_COLUMN by default, JSON or ALL)' })
  @Answers.ndjson(DID_METADATA_ANSWER, 'The metadata of each DID that exists, with its scope and name.')
  @BulkBody({ items: 1000 })
  async getMetadataBulk(@CurrentIssuer() issuer: Issuer, @Body() body: BulkMetaDto, @Res() res: Response): Promise<void> {
    if (body.inherit) throw unsupported('Inherited metadata (inherit=true) is not supported: ask for each DID and its parents.');
    const plugin = metadataPlugin(body.plugin ?? 'DID_COLUMN');
    const described = await this.metadata.describeMany(issuer, body.dids.map((d) => ({ scope: d.scope, name: d.name })));
    await streamNdjson(res, rowsOf(described.map((d) => ({ ...metadataAnswer(d, plugin), scope: d.did.scope, name: d.did.name }))));
  }

  @Access.owner('scope')
  @Post('sample')
  @ApiOperation({ summary: 'A new dataset holding files picked at random below a collection (Rucio create_did_sample); answers Created' })
  @Answers.created()
  async sample(@CurrentIssuer() issuer: Issuer, @Body() body: DidSampleDto, @Res() res: Response): Promise<void> {
    await this.dids.createSample(
      issuer,
      { scope: body.input_scope, name: body.input_name },
      { scope: body.output_scope, name: body.output_name },
      body.nbfiles,
    );
    created(res);
  }

  @Access.reader()
  @Post('bulkfiles')
  @ApiOperation({ summary: 'The files below many DIDs (NDJSON, with parent_scope and parent_name)' })
  @Answers.ndjson(BULK_FILE_LINE, 'The files below each DID, with the parent they were found under.')
  @BulkBody()
  async bulkFiles(@CurrentIssuer() issuer: Issuer, @Body() body: BulkFilesDto, @Res() res: Response): Promise<void> {
    const { dids } = this;
    const first = body.dids[0] ? await dids.listFiles(issuer, body.dids[0].scope, body.dids[0].name) : null;
    await streamNdjson(
      res,
      (async function* rows() {
        for (const [index, parent] of body.dids.entries()) {
          const files = index === 0 ? first! : await dids.listFiles(issuer, parent.scope, parent.name);
          for await (const f of files) {
            yield { parent_scope: parent.scope, parent_name: parent.name, scope: f.scope, name: f.name, bytes: f.bytes, adler32: f.adler32, md5: f.md5, guid: guidWire(f.guid), events: f.events };
          }
        }
      })(),
    );
  }
}
