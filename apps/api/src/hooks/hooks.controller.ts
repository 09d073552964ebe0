import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Issuer } from '@tarn/core';
import { HookService } from '@tarn/core/ingest/hook.service.js';
import type { HookInput, HookRunView, HookView } from '@tarn/core/ingest/hook.types.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';
import { HOOK_ANSWER, HOOK_BODY, HOOK_RUN_ANSWER } from './hook.wire.js';

const body = (input: unknown): HookInput => (input && typeof input === 'object' && !Array.isArray(input) ? (input as HookInput) : {});

/**
 * Tarn's ingestion hooks (not in Rucio): create, list, show, update, delete, run now, runs. JSON in camelCase,
 * dates as ISO 8601.
 */
@ApiTags('hooks')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('hooks')
export class HooksController {
  constructor(@Inject(HookService) private readonly hooks: HookService) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: "Hooks of the caller's account (administrators: every account, or ?account=)." })
  @ApiQuery({ name: 'account', required: false, description: 'Administrators: the hooks of this account.' })
  @Answers.json(listOf(HOOK_ANSWER), 'The hooks.')
  async list(@CurrentIssuer() issuer: Issuer, @Query('account') account?: string): Promise<HookView[]> {
    return this.hooks.listHooks(issuer, account);
  }

  @Access.owner('scope')
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Create a hook: {name, schedule, source, target, checksum?, rules?, after?, account?, timezone?, enabled?, comment?}.' })
  @ApiBody({ schema: HOOK_BODY })
  @Answers.json(HOOK_ANSWER, 'The new hook.', 201)
  async create(@CurrentIssuer() issuer: Issuer, @Body() input: unknown): Promise<HookView> {
    return this.hooks.createHook(issuer, body(input));
  }

  @Access.owner('hook')
  @Get(':name')
  @ApiOperation({ summary: 'A hook, with its next tick and last runs, and the count of files it took in by state.' })
  @Answers.json(HOOK_ANSWER, 'The hook, with files: the count of files it took in, by state.')
  async show(@CurrentIssuer() issuer: Issuer, @Param('name') name: string): Promise<HookView & { files: Record<string, number> }> {
    const hook = await this.hooks.getHook(issuer, name);
    return { ...hook, files: await this.hooks.fileCounts(issuer, name) };
  }

  @Access.owner('hook')
  @Put(':name')
  @ApiOperation({ summary: 'Change a hook: the fields given replace the stored ones.' })
  @ApiBody({ schema: HOOK_BODY })
  @Answers.json(HOOK_ANSWER, 'The changed hook.')
  async update(@CurrentIssuer() issuer: Issuer, @Param('name') name: string, @Body() input: unknown): Promise<HookView> {
    return this.hooks.updateHook(issuer, name, body(input));
  }

  @Access.owner('hook')
  @Delete(':name')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Delete a hook (the DIDs it registered stay).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('name') name: string): Promise<void> {
    await this.hooks.deleteHook(issuer, name);
  }

  @Access.owner('hook')
  @Post(':name/run')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Run the hook now: the ingester picks it up within its interval; follow GET /hooks/{name}/runs.' })
  @Answers.json(HOOK_ANSWER, 'The hook, with runRequestedAt set.', 202)
  async run(@CurrentIssuer() issuer: Issuer, @Param('name') name: string): Promise<HookView> {
    return this.hooks.requestRun(issuer, name);
  }

  @Access.owner('hook')
  @Get(':name/runs')
  @ApiOperation({ summary: 'The latest runs, newest first (?limit=, default 20): counts and errors.' })
  @ApiQuery({ name: 'limit', required: false })
  @Answers.json(listOf(HOOK_RUN_ANSWER), 'The latest runs, newest first.')
  async runs(@CurrentIssuer() issuer: Issuer, @Param('name') name: string, @Query('limit') limit?: string): Promise<HookRunView[]> {
    return this.hooks.listRuns(issuer, name, limit === undefined ? 20 : Number(limit));
  }

  @Access.owner('hook')
  @Get(':name/runs/:runId')
  @ApiOperation({ summary: 'One run.' })
  @Answers.json(HOOK_RUN_ANSWER, 'The run.')
  async runOf(@CurrentIssuer() issuer: Issuer, @Param('name') name: string, @Param('runId') runId: string): Promise<HookRunView> {
    return this.hooks.getRun(issuer, name, runId);
  }
}
