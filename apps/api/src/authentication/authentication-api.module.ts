import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { AuthController } from './auth.controller.js';
import { TokenInfoService } from './token-info.service.js';

@Module({ imports: [AccountsModule], controllers: [AuthController], providers: [TokenInfoService] })
export class AuthenticationApiModule {}
