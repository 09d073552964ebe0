import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Inject, Param, Post, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RuleService } from '@tarn/core';
import type { Issuer } from '@tarn/core';
import { SubscriptionService } from '@tarn/core/subscriptions/subscription.service.js';
import type { SubscriptionOptions, SubscriptionView } from '@tarn/core/subscriptions/subscription.types.js';
import { RULE_STATES_ANSWER, SUBSCRIPTION_ANSWER, SUBSCRIPTION_BODY, subscriptionToWire } from './subscription.wire.js';
import { CurrentIssuer } from '../auth/current-issuer.decorator.js';
import { streamNdjson } from '../http/rucio-wire.js';
import { RULE_ANSWER, ruleStateName, ruleToWire } from '../rules/rule.wire.js';
import { Access } from '../auth/access.decorator.js';
import { Answers } from '../http/answers.js';

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
  @Answers.ndjson(SUBSCRIPTION_ANSWER, 'The subscriptions.')
  async all(@CurrentIssuer() issuer: Issuer, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, {}));
  }

  @Access.account()
  @Get('name/:name')
  @ApiOperation({ summary: 'Subscriptions of any account with this name (NDJSON).' })
  @Answers.ndjson(SUBSCRIPTION_ANSWER, 'The subscriptions with that name.')
  async byName(@CurrentIssuer() issuer: Issuer, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { name }));
  }

  @Access.account()
  @Get('Id/:id')
  @ApiOperation({ summary: 'One subscription by its id (a JSON object).' })
  @Answers.json(SUBSCRIPTION_ANSWER, 'The subscription.')
  async byId(@CurrentIssuer() issuer: Issuer, @Param('id') id: string, @Res() res: Response): Promise<void> {
    res.status(200).json(subscriptionToWire(await this.subscriptions.getById(issuer, id)));
  }

  @Access.account()
  @Get(':account/rules/states')
  @ApiOperation({ summary: "How many rules each of an account's subscriptions made are in each state (NDJSON of [account, name, state, count]; * a wildcard)." })
  @Answers.ndjson(RULE_STATES_ANSWER, 'One line per subscription and rule state.')
  async ruleStates(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    await this.sendRuleStates(res, await this.subscriptions.ruleStates(issuer, account));
  }

  @Access.account()
  @Get(':account/:name/rules/states')
  @ApiOperation({ summary: "How many rules one subscription made are in each state (NDJSON of [account, name, state, count])." })
  @Answers.ndjson(RULE_STATES_ANSWER, 'One line per rule state.')
  async ruleStatesOf(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await this.sendRuleStates(res, await this.subscriptions.ruleStates(issuer, account, name));
  }

  @Access.account()
  @Get(':account')
  @ApiOperation({ summary: "An account's subscriptions (NDJSON)." })
  @Answers.ndjson(SUBSCRIPTION_ANSWER, "The account's subscriptions.")
  async ofAccount(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { account }));
  }

  @Access.account()
  @Get(':account/:name/rules')
  @ApiOperation({ summary: 'The rules a subscription made (NDJSON rule dicts).' })
  @Answers.ndjson(RULE_ANSWER, 'The rules the subscription made.')
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
  @Answers.ndjson(SUBSCRIPTION_ANSWER, 'The subscription.')
  async one(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Res() res: Response): Promise<void> {
    await this.send(res, await this.subscriptions.listSubscriptions(issuer, { account, name }));
  }

  @Access.owner('account')
  @Post(':account/:name')
  @ApiOperation({ summary: 'Add a subscription: {"options": {filter, replication_rules, comments, lifetime, retroactive}}; answers its id.' })
  @ApiBody({ schema: SUBSCRIPTION_BODY })
  @Answers.text('The id of the new subscription.', 201)
  async add(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    const id = await this.subscriptions.addSubscription(issuer, account, name, options(body));
    res.status(HttpStatus.CREATED).type('text/plain').end(id);
  }

  @Access.owner('subscription')
  @Put(':account/:name')
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({ summary: 'Change a subscription (options as for add, plus state ACTIVE/INACTIVE).' })
  @ApiBody({ schema: SUBSCRIPTION_BODY })
  @Answers.text("The word 'Created'.", 201)
  async update(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string, @Body() body: unknown, @Res() res: Response): Promise<void> {
    await this.subscriptions.updateSubscription(issuer, account, name, options(body));
    res.status(HttpStatus.CREATED).type('text/plain').end('Created');
  }

  @Access.owner('subscription')
  @Delete(':account/:name')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Delete a subscription (Tarn; its rules stay).' })
  @Answers.empty()
  async remove(@CurrentIssuer() issuer: Issuer, @Param('account') account: string, @Param('name') name: string): Promise<void> {
    await this.subscriptions.deleteSubscription(issuer, account, name);
  }

  private async sendRuleStates(res: Response, rows: Array<{ account: string; name: string; state: string; count: number }>): Promise<void> {
    await streamNdjson(
      res,
      (async function* () {
        for (const row of rows) yield [row.account, row.name, ruleStateName(row.state), row.count];
      })(),
    );
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
