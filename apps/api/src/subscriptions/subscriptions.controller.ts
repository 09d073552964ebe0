import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { SubscriptionState } from '@tarn/domain';
import { RuleService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { SubscriptionService } from '@tarn/core/subscriptions/subscription.service.js';
import { ruleTemplateWire } from '@tarn/core/subscriptions/rule-template.js';
import type { SubscriptionOptions, SubscriptionView } from '@tarn/core/subscriptions/subscription.types.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { rfc1123, streamNdjson } from '../http/rucio-wire.js';
import { ruleToWire } from '../rules/rule.wire.js';
import { Access } from '../auth/access.decorator.js';

const STATE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(SubscriptionState).map(([name, code]) => [code, name]));

/** Rucio's subscription dict: filter and replication_rules as JSON text, as Rucio stores and sends them. */
export function subscriptionToWire(s: SubscriptionView): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    account: s.account,
    filter: JSON.stringify(s.filter),
    replication_rules: JSON.stringify(s.replicationRules.map(ruleTemplateWire)),
    policyid: 0,
    state: STATE_NAMES[s.state] ?? s.state,
    last_processed: rfc1123(s.lastProcessed),
    lifetime: rfc1123(s.expiredAt),
    comments: s.comments,
    retroactive: s.retroactive,
    expired_at: rfc1123(s.expiredAt),
    created_at: rfc1123(s.createdAt),
    updated_at: rfc1123(s.updatedAt),
  };
}

/** `{"options": {...}}` as the stock client sends it; null values mean "not given" (the client sends every key). */
function options(body: unknown): SubscriptionOptions {
  const raw = body && typeof body === 'object' && 'options' in body ? (body as { options: unknown }).options : body;
  if (!raw || typeof raw !== 'object') return {};
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined)) as SubscriptionOptions;
}

/** Rucio's /subscriptions routes (NDJSON lists), plus DELETE /subscriptions/{account}/{name}. */
@ApiTags('subscriptions')
@ApiSecurity('rucio-token')
@ApiBearerAuth()
@Controller('subscriptions')
export class SubscriptionsController {
  constructor(
    @Inject(SubscriptionService) private readonly subscriptions: SubscriptionService,
    @Inject(RuleService) private readonly rules: RuleService,
  ) {}

  @Access.account()
  @Get()
  @ApiOperation({ summary: 'Every subscription (NDJSON).' })
  async all(@CurrentIssuer() issuer: Issuer, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, {}));
  }

  @Access.account()
  @Get('name/:name')
  @ApiOperation({ summary: 'Subscriptions of any account with this name (NDJSON).' })
  async byName(@CurrentIssuer() issuer: Issuer, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { name }));
  }

  @Access.account()
  @Get(':account')
  @ApiOperation({ summary: "An account's subscriptions (NDJSON)." })
  async ofAccount(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { account }));
  }

  @Access.account()
  @Get(':account/:name/rules')
  @ApiOperation({ summary: 'The rules a subscription made (NDJSON rule dicts).' })
  async rulesOf(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    const ids = await this.subscriptions.listRuleIds(issuer, account, name);
    const rules = this.rules;
    await streamNdjson(
      res,
      (async function* () {
        for (const id of ids) yield ruleToWire(await rules.getRule(issuer, id));
      })(),
    );
  }

  @Access.account()
  @Get(':account/:name')
  @ApiOperation({ summary: 'One subscription (NDJSON, one line).' })
  async one(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { account, name }));
  }

  @Access.owner('account')
  @Post(':account/:name')
  @ApiOperation({ summary: 'Add a subscription: {"options": {filter, replication_rules, comments, lifetime, retroactive}}; answers its id.' })
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const id = await this.subscriptions.addSubscription(issuer, account, name, options(body));
    res.status(HttpStatus.CREATED).type('text/plain').end(id);
  }

  @Access.owner('subscription')
  @Put(':account/:name')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Change a subscription (options as for add, plus state ACTIVE/INACTIVE).' })
  async update(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    await this.subscriptions.updateSubscription(issuer, account, name, options(body));
    res.status(HttpStatus.CREATED).type('text/plain').end('Created');
  }

  @Access.owner('subscription')
  @Delete(':account/:name')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Delete a subscription (Tarn; its rules stay).' })
  async remove(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string): Promise<void> {
    await this.subscriptions.deleteSubscription(issuer, account, name);
  }

  private async send(res: Response, rows: SubscriptionView[]): Promise<void> {
    await streamNdjson(
      res,
      (async function* () {
        for (const row of rows) yield subscriptionToWire(row);
      })(),
    );
  }
}
