import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountService } from './account.service.js';
import { AuthenticationService } from './authentication.service.js';
import { IdentityService } from './identity.service.js';

@Module({
  imports: [AuthModule],
  providers: [AccountService, IdentityService, AuthenticationService],
  exports: [AccountService, IdentityService, AuthenticationService],
})
export class AccountsModule {}
