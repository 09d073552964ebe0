import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { AuthController } from './auth.controller.js';

@Module({ imports: [AccountsModule], controllers: [AuthController] })
export class AuthenticationApiModule {}
