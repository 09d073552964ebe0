import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { AccountService, ROOT_ACCOUNT, type RootBootstrap } from '@tarn/core';

/**
 * On the API's start: creates the administrator `root` (userpass identity `root`) when the catalogue has none,
 * with TARN_ROOT_PASSWORD or a generated password printed once to stdout. An existing root is never touched,
 * so later starts print nothing; of API processes starting together on a new catalogue, one creates it.
 */
@Injectable()
export class RootAccountBootstrap implements OnApplicationBootstrap {
  constructor(
    @Inject(AccountService) private readonly accounts: AccountService,
    @Inject(TARN_CONFIG) private readonly config: TarnConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureRoot();
  }

  async ensureRoot(): Promise<RootBootstrap> {
    const result = await this.accounts.ensureRootAccount(this.config.rootPassword);
    if (!result.created) return result;
    const lines = [`Tarn: created the administrator account '${ROOT_ACCOUNT}' with the userpass identity '${ROOT_ACCOUNT}'.`];
    if (result.generatedPassword) {
      lines.push(
        `Tarn: its generated password, shown this once only: ${result.generatedPassword}`,
        'Tarn: keep it safe (e.g. in your rucio.cfg); to choose the password instead, set TARN_ROOT_PASSWORD before the first start.',
      );
    } else {
      lines.push('Tarn: its password is the one in TARN_ROOT_PASSWORD.');
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return result;
  }
}
