import { Module } from '@nestjs/common';
import { AccountsModule, RsesModule, ScopesModule } from '@tarn/core';
import { RulesModule } from '@tarn/core';
import { AuthenticationApiModule } from '../authentication/authentication-api.module.js';
import { PingApiModule } from '../ping/ping-api.module.js';
import { ScopesApiModule } from '../scopes/scopes-api.module.js';
import { AccountIdentitiesController } from './account-identities.controller.js';
import { AccountLimitsAdminController, AccountLimitsController } from './account-limits.controller.js';
import { AccountRulesController } from './account-rules.controller.js';
import { AccountScopesController } from './account-scopes.controller.js';
import { AccountsController } from './accounts.controller.js';
import { IdentitiesController } from './identities.controller.js';

/**
 * Who is asking and what they own: ping and login (public), accounts with their attributes, identities, scopes,
 * limits and usage, and the scopes routes. One module so that the API module registers it with one line.
 */
@Module({
  imports: [AccountsModule, ScopesModule, RsesModule, RulesModule, PingApiModule, AuthenticationApiModule, ScopesApiModule],
  controllers: [
    AccountsController,
    AccountScopesController,
    AccountIdentitiesController,
    AccountLimitsController,
    AccountLimitsAdminController,
    AccountRulesController,
    IdentitiesController,
  ],
})
export class AccountsApiModule {}
