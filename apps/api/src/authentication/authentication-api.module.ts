import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { AuthController } from './auth.controller.js';
import { OidcWebLoginController } from './oidc-web-login.controller.js';
import { SessionController } from './session.controller.js';

@Module({ imports: [AccountsModule], controllers: [AuthController, SessionController, OidcWebLoginController] })
export class AuthenticationApiModule {}
