import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { AuthController } from './auth.controller.js';
import { SessionController } from './session.controller.js';

@Module({ imports: [AccountsModule], controllers: [AuthController, SessionController] })
export class AuthenticationApiModule {}
