import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountService } from './account.service.js';
import { AuthenticationService } from './authentication.service.js';
import { IdentityService } from './identity.service.js';
import { LoginThrottle } from './login-throttle.js';

@Module({
  imports: [AuthModule],
  providers: [AccountService, IdentityService, AuthenticationService, LoginThrottle],
  exports: [AccountService, IdentityService, AuthenticationService],
})
export class AccountsModule {}
