import { Module } from '@nestjs/common';
import { Permissions } from './permissions.js';

@Module({ providers: [Permissions], exports: [Permissions] })
export class AuthModule {}
