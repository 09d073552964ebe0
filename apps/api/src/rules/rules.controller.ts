import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { NotFound } from '@tarn/domain';
import { RuleService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { NDJSON_TYPE, sendJson, streamNdjson } from '../http/rucio-wire.js';
import { badRequest, bodyObject, given, mapRows } from '../rses/request-body.js';
import { ApiRuleFilters, ruleFilter } from './rule-filter.js';
import { AddRulesDto, DeleteRuleDto, MoveRuleDto, UpdateRuleDto } from './rule.dto.js';
import { ANALYSIS_LOCKS, examineRule } from './rule-analysis.js';
import { LOCK_ANSWER, lockToWire, moveOverrides, RULE_ANALYSIS_ANSWER, RULE_ANSWER, RULE_HISTORY_LINE, ruleHistoryToWire, ruleOptions, ruleSpec, ruleToWire } from './rule.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers, listOf } from '../http/answers.js';
import { BulkBody } from '../http/request-limits.js';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A rule id from the path; anything that is not a UUID names no rule. */
function ruleId(id: string): string {
  if (!UUID.test(id)) throw NotFound.rule(id);
  return id;
}

/** Rucio's /rules routes: add, list, show, update (and approve/deny), delete, locks, move, analysis. */
@ApiTags('rules')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('rules')
export class RulesController {
  constructor(@Inject(RuleService) private readonly rules: RuleService) {}

  @Access.account()
  @Get()
  @ApiOperation({
    summary:
      'Rules (NDJSON), filtered by account, scope, name (`*` is a wildcard), id, state, did_type, grouping, rse_expression, activity, ' +
      'subscription_id, locked, created_before/after, updated_before/after.',
  })
  @ApiRuleFilters()
  @Answers.ndjson(RULE_ANSWER, 'The rules.')
  async list(@CurrentIssuer() issuer: Issuer, @Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    const rows = await this.rules.listRules(issuer, ruleFilter(query ?? {}));
    await streamNdjson(res, mapRows(rows, ruleToWire));
  }

  @Access.reader()
  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Add replication rules, one per DID; answers their ids.' })
  @Answers.json(listOf('string'), 'The ids of the new rules, one per DID.', 201)
  @BulkBody({ items: 1000 })
  async add(@CurrentIssuer() issuer: Issuer, @Body() body: AddRulesDto): Promise<string[]> {
    return this.rules.addRules(issuer, ruleSpec(bodyObject<AddRulesDto>(body, 'a new replication rule')));
  }

  @Access.reader()
  @Get(':ruleId')
  @ApiOperation({ summary: 'A rule with its state and lock counters.' })
  @Answers.json(RULE_ANSWER, 'The rule.')
  async show(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string): Promise<unknown> {
    return ruleToWire(await this.rules.getRule(issuer, ruleId(id)));
  }

  @Access.owner('rule')
  @Put(':ruleId')
  @ApiOperation({ summary: 'Change a rule ({options: {...}}); options.approve approves (true) or denies (false) it.' })
  @Answers.empty()
  async update(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string, @Body() body: UpdateRuleDto): Promise<void> {
    const { options } = bodyObject<UpdateRuleDto>(body, `the update of rule ${id}`);
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw badRequest('InputValidationError', `Give the options of rule ${id} to change: {"options": {"lifetime": 86400}}.`);
    }
    const request = ruleOptions(id, options);
    if (request.kind === 'approve') await this.rules.approveRule(issuer, ruleId(id));
    else if (request.kind === 'deny') await this.rules.denyRule(issuer, ruleId(id), request.reason);
    else await this.rules.updateRule(issuer, ruleId(id), request.update);
  }

  @Access.owner('rule')
  @Delete(':ruleId')
  @ApiOperation({ summary: 'Delete a rule (its owner or an administrator); a locked rule must be unlocked first.' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string, @Body() body: DeleteRuleDto): Promise<void> {
    const { purge_replicas: purgeReplicas } = bodyObject<DeleteRuleDto>(body, `the deletion of rule ${id}`);
    await this.rules.deleteRule(issuer, ruleId(id), purgeReplicas === undefined || purgeReplicas === null ? {} : { purgeReplicas });
  }

  @Access.reader()
  @Get(':ruleId/locks')
  @ApiOperation({ summary: "The rule's file locks (NDJSON): file, RSE, state, and why each that is not OK waits (reason_code, reason)." })
  @Answers.ndjson(LOCK_ANSWER, "The rule's locks.")
  async locks(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string, @Res() res: Response): Promise<void> {
    const rows = await this.rules.listRuleLocks(issuer, ruleId(id));
    await streamNdjson(res, mapRows(rows, lockToWire));
  }

  @Access.owner('rule')
  @Post(':ruleId/move')
  @ApiOperation({ summary: 'Move a rule: a child rule on the new RSEs; the parent goes once the child is OK. Answers the child id.' })
  @Answers.json({ type: 'string', description: 'The id of the child rule.' }, 'The child rule.', 201)
  async move(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string, @Body() body: MoveRuleDto, @Res() res: Response): Promise<void> {
    const request = bodyObject<MoveRuleDto>(body, `the move of rule ${id}`);
    const target = ruleId(request.rule_id ?? id);
    const overrides = moveOverrides(
      {
        // Older clients send these beside override, null when not given.
        ...given({ activity: request.activity, source_replica_expression: request.source_replica_expression }),
        ...(request.override ?? {}),
      },
      target,
    );
    const childId = await this.rules.moveRule(issuer, target, request.rse_expression as string, overrides);
    sendJson(res, HttpStatus.CREATED, childId);
  }

  @Access.reader()
  @Get(':ruleId/history')
  @ApiOperation({ summary: 'Every state and setting a rule went through (NDJSON, oldest first); kept after the rule is gone.' })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(RULE_HISTORY_LINE, "The rule's states and settings, oldest first.")
  async history(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string, @Res() res: Response): Promise<void> {
    await streamNdjson(res, mapRows(await this.rules.listRuleHistory(issuer, ruleId(id)), ruleHistoryToWire));
  }

  @Access.reader()
  @Get(':scope/:name/history')
  @ApiOperation({ summary: "The rules a DID had (NDJSON): a row when each was created and one when it was deleted (Rucio's full rule history)." })
  @ApiProduces(NDJSON_TYPE)
  @Answers.ndjson(RULE_HISTORY_LINE, 'The rules the DID had.')
  async didHistory(@CurrentIssuer() issuer: Issuer, @Param('scope') scope: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await streamNdjson(res, mapRows(await this.rules.listDidRuleHistory(issuer, { scope, name }), ruleHistoryToWire));
  }

  @Access.reader()
  @Get(':ruleId/analysis')
  @ApiOperation({ summary: 'What a rule waits for: its error, its locks that are not OK by reason, and those locks (STUCK first, at most 1,000).' })
  @Answers.json(RULE_ANALYSIS_ANSWER, 'What the rule waits for.')
  async analysis(@CurrentIssuer() issuer: Issuer, @Param('ruleId') id: string): Promise<unknown> {
    const rule = await this.rules.getRule(issuer, ruleId(id));
    const groups = await this.rules.lockReasons(issuer, rule.id);
    return examineRule(rule, groups, await this.rules.listRuleLocks(issuer, rule.id, { notOk: true, limit: ANALYSIS_LOCKS }));
  }
}
