import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Forbidden } from '@tarn/domain';
import { findToken } from '@tarn/catalogue/repositories/token.repository.js';
import { AccountService } from '@tarn/core';

export interface TokenInfo {
  account: string;
  admin: boolean;
  expiresAt: Date;
}

/**
 * What GET /auth/validate shows about a token. The account service validates it (expiry, account status);
 * the expiry itself is read from the token row, which is stored under the SHA-256 of the token.
 */
@Injectable()
export class TokenInfoService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AccountService) private readonly accounts: AccountService,
  ) {}

  async describe(token: string): Promise<TokenInfo> {
    const issuer = await this.accounts.validateToken(token);
    const row = await findToken(this.dataSource.manager, createHash('sha256').update(token, 'utf8').digest('hex'));
    // validateToken just found the row: it is gone only if the token was revoked in between.
    if (!row) throw new Forbidden('Unknown token: log in to get a new one.', { rucioClass: 'CannotAuthenticate' });
    return { account: issuer.account, admin: issuer.admin, expiresAt: row.expiredAt };
  }
}
