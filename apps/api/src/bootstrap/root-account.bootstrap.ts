import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { AccountService, ROOT_ACCOUNT, type RootBootstrap } from '@tarn/core';

const RULE = '='.repeat(78);

/**
 * On the API's start: creates the administrator `root` (userpass identity `root`) when the catalogue has none,
 * with TARN_ROOT_PASSWORD or a generated password, which the start-up prints once, last (announcement). An existing
 * root is never touched, so later starts print nothing; of API processes starting together on a new catalogue, one
 * creates it.
 */
@Injectable()
export class RootAccountBootstrap implements OnApplicationBootstrap {
  private created: RootBootstrap | null = null;

  constructor(
    @Inject(AccountService) private readonly accounts: AccountService,
    @Inject(TARN_CONFIG) private readonly config: TarnConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureRoot();
  }

  async ensureRoot(): Promise<RootBootstrap> {
    const result = await this.accounts.ensureRootAccount(this.config.rootPassword);
    if (result.created) this.created = result;
    return result;
  }

  /** What the person who started Tarn must read, set apart from the rest (null when root existed already). */
  announcement(): string | null {
    if (!this.created) return null;
    const created = `Tarn created the administrator account '${ROOT_ACCOUNT}' with the userpass identity '${ROOT_ACCOUNT}'.`;
    if (!this.created.generatedPassword) return `${created} Its password is the one in TARN_ROOT_PASSWORD.\n`;
    return [
      '',
      RULE,
      ` ${created}`,
      ' Its generated password, shown this once only:',
      '',
      `     ${this.created.generatedPassword}`,
      '',
      ` Keep it safe (e.g. in your rucio.cfg); log in with: tarn login --account ${ROOT_ACCOUNT}`,
      ' To choose the password instead, set TARN_ROOT_PASSWORD before the first start.',
      RULE,
      '',
    ].join('\n');
  }
}
