import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Duplicate, NotFound } from '@tarn/domain';
import {
  deleteRseProtocols,
  findRseProtocol,
  insertRseProtocol,
  listRseProtocols,
  updateRseProtocol,
} from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { unitOfWork } from '@tarn/catalogue';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { newProtocol, protocolChanges, protocolView, visibleProtocol } from './rse-protocol.mapping.js';
import { requireRse } from './rse-unit-of-work.js';
import type { RseProtocolInput, RseProtocolView, UpdateRseProtocolInput } from './rse.types.js';

function duplicate(rse: string, scheme: string, hostname: string, port: number): Duplicate {
  return new Duplicate(
    `Protocol '${scheme}' on port ${port} is already registered for RSE '${rse}' with hostname '${hostname}'. Update that protocol instead.`,
    { rucioClass: 'Duplicate', details: { rse, scheme, hostname, port } },
  );
}

function notSupported(rse: string, scheme: string, hostname?: string, port?: number): NotFound {
  const where = `${hostname !== undefined ? ` for hostname '${hostname}'` : ''}${port !== undefined ? ` on port ${port}` : ''}`;
  return new NotFound(`RSE '${rse}' does not support protocol '${scheme}'${where}. List its protocols to see which it has.`, {
    rucioClass: 'RSEProtocolNotSupported',
    details: { rse, scheme, hostname, port },
  });
}

/** Access protocols of RSEs, with their priorities per operation (0 = not offered, 1 = preferred). */
@Injectable()
export class RseProtocolService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
  ) {}

  async addProtocol(issuer: Issuer, rse: string, input: RseProtocolInput): Promise<RseProtocolView> {
    this.permissions.assertAdmin(issuer, `add protocols to RSE '${rse}'`);
    return unitOfWork(this.dataSource, { what: `protocol of RSE '${rse}'` }, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      const protocol = newProtocol(rse, row.id, input);
      if (!(await insertRseProtocol(manager, protocol))) throw duplicate(rse, protocol.scheme, protocol.hostname, protocol.port);
      return protocolView(protocol);
    });
  }

  /** Changes the protocol identified by (scheme, hostname, port); any field may change, the key too. */
  async updateProtocol(
    issuer: Issuer,
    rse: string,
    key: { scheme: string; hostname: string; port: number },
    input: UpdateRseProtocolInput,
  ): Promise<RseProtocolView> {
    this.permissions.assertAdmin(issuer, `update protocols of RSE '${rse}'`);
    const changes = protocolChanges(rse, input ?? {});
    return unitOfWork(this.dataSource, { what: `protocol ${key.scheme} of RSE '${rse}'` }, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      if (!(await findRseProtocol(manager, row.id, key))) throw notSupported(rse, key.scheme, key.hostname, key.port);
      if (!(await updateRseProtocol(manager, row.id, key, changes))) {
        throw duplicate(rse, changes.scheme ?? key.scheme, changes.hostname ?? key.hostname, changes.port ?? key.port);
      }
      const target = { scheme: changes.scheme ?? key.scheme, hostname: changes.hostname ?? key.hostname, port: changes.port ?? key.port };
      return protocolView((await findRseProtocol(manager, row.id, target))!);
    });
  }

  /** Deletes the RSE's protocols of that scheme, narrowed to a hostname and then a port when given. */
  async deleteProtocols(issuer: Issuer, rse: string, scheme: string, hostname?: string, port?: number): Promise<number> {
    this.permissions.assertAdmin(issuer, `delete protocols of RSE '${rse}'`);
    return unitOfWork(this.dataSource, { what: `protocol ${scheme} of RSE '${rse}'` }, async (manager) => {
      const row = await requireRse(manager, rse, 'share');
      const deleted = await deleteRseProtocols(manager, row.id, scheme, hostname, port);
      if (deleted === 0) throw notSupported(rse, scheme, hostname, hostname === undefined ? undefined : port);
      return deleted;
    });
  }

  /** Sorted by hostname, scheme and port, as Rucio lists them. */
  async listProtocols(issuer: Issuer, rse: string): Promise<RseProtocolView[]> {
    const manager = this.dataSource.manager;
    const row = await requireRse(manager, rse);
    return (await listRseProtocols(manager, row.id)).map((p) => visibleProtocol(issuer, protocolView(p)));
  }
}
