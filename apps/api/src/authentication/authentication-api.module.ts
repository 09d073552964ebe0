import { Module } from '@nestjs/common';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { AccountsModule } from '@tarn/core';
import { AuthController } from './auth.controller.js';
import { OidcWebLoginController } from './oidc-web-login.controller.js';
import { OidcWebLogin } from './oidc-web-login.js';
import { SessionController } from './session.controller.js';

/** The web UI's login through the identity provider, where one is configured (TARN_OIDC_WEB_CLIENT_ID); else null. */
const OIDC_WEB_LOGIN = {
  provide: OidcWebLogin,
  useFactory: (config?: TarnConfig) => (config?.oidc?.web ? new OidcWebLogin(config.oidc, config.oidc.web) : null),
  inject: [{ token: TARN_CONFIG, optional: true }],
};

@Module({ imports: [AccountsModule], controllers: [AuthController, SessionController, OidcWebLoginController], providers: [OIDC_WEB_LOGIN] })
export class AuthenticationApiModule {}
