import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Duplicate, IdentityType } from '@tarn/domain';
import { findLiveRseByName, insertRse, updateRse } from '@tarn/catalogue/repositories/rse.repository.js';
import { upsertRseAttribute } from '@tarn/catalogue/repositories/rse-attribute.repository.js';
import { findRseProtocol, insertRseProtocol, updateRseProtocol } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { upsertRseLimit } from '@tarn/catalogue/repositories/rse-limit.repository.js';
import { upsertDistance } from '@tarn/catalogue/repositories/distance.repository.js';
import { findIdentity } from '@tarn/catalogue/repositories/identity.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { AccountService, ROOT_ACCOUNT } from '../accounts/account.service.js';
import { IdentityService, parseIdentityType } from '../accounts/identity.service.js';
import { newProtocol, protocolChanges } from '../rses/rse-protocol.mapping.js';
import { rseFields, validAttribute, validCount, validName, validRseName } from '../rses/rse-input.js';
import { requireRse, rseChange } from '../rses/rse-unit-of-work.js';
import type { CatalogueImport, ImportedAccount, ImportedRse } from './catalogue-import.types.js';

/**
 * Rucio's import_data (the inverse of GET /export), administrators only: RSEs with their properties, protocols,
 * attributes and limits, and the distances between them, in one transaction; then, when an account list is given,
 * the accounts as Rucio imports them (added, email updated, identities made exactly those listed, and every other
 * account but root and the importing one removed).
 */
@Injectable()
export class CatalogueImportService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(AccountService) private readonly accounts: AccountService,
    @Inject(IdentityService) private readonly identities: IdentityService,
  ) {}

  async importData(issuer: Issuer, data: CatalogueImport): Promise<void> {
    this.permissions.assertAdmin(issuer, 'import data');
    for (const rse of data.rses) validRseName(rse.rse);
    const distances = data.distances.map((d) => ({ ...d, distance: validCount(`The distance from RSE '${d.src}' to '${d.dest}'`, d.distance) }));
    if (data.rses.length > 0 || distances.length > 0) {
      await rseChange(this.dataSource, 'the imported RSEs', async (manager) => {
        for (const rse of data.rses) await this.importRse(manager, rse);
        for (const d of distances) {
          const [from, to] = [await requireRse(manager, d.src, 'share'), await requireRse(manager, d.dest, 'share')];
          await upsertDistance(manager, from.id, to.id, d.distance);
        }
      });
    }
    // As in Rucio, an empty list is no list: it removes nobody.
    if (data.accounts && data.accounts.length > 0) await this.importAccounts(issuer, data.accounts);
  }

  private async importRse(manager: EntityManager, input: ImportedRse): Promise<void> {
    const fields = rseFields(input.rse, input.properties);
    let rse = await findLiveRseByName(manager, input.rse, { lock: 'update' });
    if (!rse) {
      rse = await insertRse(manager, { ...fields, rse: input.rse });
      if (!rse) throw Duplicate.rse(input.rse);
    } else if (Object.keys(fields).length > 0) {
      rse = (await updateRse(manager, rse.id, fields)) ?? rse;
    }
    for (const protocol of input.protocols) {
      const record = newProtocol(input.rse, rse.id, protocol);
      const key = { scheme: record.scheme, hostname: record.hostname, port: record.port };
      if (await findRseProtocol(manager, rse.id, key)) {
        const { scheme: _s, hostname: _h, port: _p, ...rest } = protocol;
        await updateRseProtocol(manager, rse.id, key, protocolChanges(input.rse, rest));
      } else {
        await insertRseProtocol(manager, record);
      }
    }
    for (const [key, value] of Object.entries(input.attributes)) {
      // Every RSE answers its own name as an attribute; it is not stored.
      if (key === input.rse) continue;
      const [validKey, validValue] = validAttribute(input.rse, key, value);
      await upsertRseAttribute(manager, rse.id, validKey, validValue);
    }
    for (const [name, bytes] of Object.entries(input.limits)) {
      await upsertRseLimit(manager, rse.id, validName(`The name of a limit of RSE '${input.rse}'`, name), validCount(`Limit ${name} of RSE '${input.rse}'`, bytes));
    }
  }

  private async importAccounts(issuer: Issuer, accounts: ImportedAccount[]): Promise<void> {
    // Live accounts only: a removed account's name is not reused (adding it again is refused as Duplicate).
    const existing = new Map((await this.accounts.listAccounts(issuer)).map((a) => [a.account, a]));
    const listed = new Set(accounts.map((a) => a.account));
    for (const input of accounts) {
      const known = existing.get(input.account);
      if (!known) {
        await this.accounts.addAccount(issuer, { account: input.account, type: 'USER', email: input.email });
      } else if (input.email && known.email !== input.email) {
        await this.accounts.updateAccount(issuer, input.account, { email: input.email });
      }
      if (input.identities && input.identities.length > 0) await this.importIdentities(issuer, input);
    }
    for (const account of existing.keys()) {
      if (listed.has(account) || account === ROOT_ACCOUNT || account === issuer.account) continue;
      await this.accounts.deleteAccount(issuer, account);
    }
  }

  private async importIdentities(issuer: Issuer, input: ImportedAccount): Promise<void> {
    const wanted = input.identities!.map((i) => ({ ...i, type: parseIdentityType(i.type) }));
    const current = await this.identities.listIdentities(issuer, input.account);
    const has = (list: Array<{ identity: string; type: string }>, i: { identity: string; type: string }) => list.some((c) => c.identity === i.identity && c.type === i.type);
    for (const identity of wanted) {
      if (has(current, identity)) continue;
      // An identity that exists keeps its password; a new USERPASS identity takes the one given.
      const exists = await findIdentity(this.dataSource.manager, identity.identity, identity.type);
      await this.identities.addAccountIdentity(issuer, {
        account: input.account,
        identity: identity.identity,
        type: identity.type,
        password: exists || identity.type !== IdentityType.USERPASS ? undefined : identity.password,
        email: input.email,
      });
    }
    for (const old of current) {
      if (!has(wanted, old)) await this.identities.deleteAccountIdentity(issuer, { account: input.account, identity: old.identity, type: old.type });
    }
  }
}
