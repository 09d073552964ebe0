import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Duplicate, InvalidInput, NotFound, RseAttributeValue } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { countReplicasOnRse, insertRse, listLiveRses, softDeleteRse, updateRse } from '@tarn/catalogue/repositories/rse.repository.js';
import {
  deleteRseAttribute,
  deleteRseQosPolicy,
  insertRseQosPolicy,
  listRseAttributes,
  listRseQosPolicies,
  upsertRseAttribute,
} from '@tarn/catalogue/repositories/rse-attribute.repository.js';
import { listRseProtocols } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { Permissions } from '../auth/permissions.js';
import type { Issuer } from '../auth/issuer.js';
import { addRseFields, rseFields, rseSummary, validAttribute, validQosPolicy } from './rse-input.js';
import { rseInfo, RseInfo } from './rse-info.js';
import { protocolView, visibleProtocol } from './rse-protocol.mapping.js';
import { RseExpressionService } from './rse-expression.service.js';
import { requireRse, rseChange } from './rse-unit-of-work.js';
import type { AddRseInput, RseDetails, RseSummary, UpdateRseInput } from './rse.types.js';

/** RSEs and their attributes. Writes are for administrators; reads are open to every account. */
@Injectable()
export class RseService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(Permissions) private readonly permissions: Permissions,
    @Inject(RseExpressionService) private readonly expressions: RseExpressionService,
  ) {}

  async addRse(issuer: Issuer, input: AddRseInput): Promise<RseSummary> {
    const fields = addRseFields(input);
    this.permissions.assertAdmin(issuer, `add RSE '${fields.rse}'`);
    return rseChange(this.dataSource, `RSE '${fields.rse}'`, async (manager) => {
      const rse = await insertRse(manager, fields);
      if (!rse) throw Duplicate.rse(fields.rse);
      return rseSummary(rse);
    });
  }

  async updateRse(issuer: Issuer, name: string, input: UpdateRseInput): Promise<RseSummary> {
    this.permissions.assertAdmin(issuer, `update RSE '${name}'`);
    const fields = rseFields(name, input ?? {});
    return rseChange(this.dataSource, `RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'update');
      const updated = await updateRse(manager, rse.id, fields);
      if (!updated) throw Duplicate.rse(fields.rse!);
      return rseSummary(updated);
    });
  }

  /** Marks the RSE deleted (its name may then be reused); refused while replicas are registered on it. */
  async deleteRse(issuer: Issuer, name: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `delete RSE '${name}'`);
    await rseChange(this.dataSource, `RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'update');
      const replicas = await countReplicasOnRse(manager, rse.id);
      if (replicas > 0) {
        throw new InvalidInput(
          `RSE '${name}' is not empty: ${replicas >= 1000 ? 'at least 1000' : replicas} replica${replicas === 1 ? ' is' : 's are'} still registered on it. ` +
            `Move or delete the rules that keep data there and let the reaper empty it (or declare the replicas lost), then delete the RSE.`,
          { rucioClass: 'UnsupportedOperation', details: { rse: name, replicas } },
        );
      }
      await softDeleteRse(manager, rse.id);
    });
  }

  async getRse(issuer: Issuer, name: string): Promise<RseDetails> {
    return unitOfWork(this.dataSource, { what: `RSE '${name}'` }, async (manager) => {
      const rse = await requireRse(manager, name);
      const [attributes, protocols] = [await listRseAttributes(manager, rse.id), await listRseProtocols(manager, rse.id)];
      return { ...rseSummary(rse), attributes, protocols: protocols.map((p) => visibleProtocol(issuer, protocolView(p))) };
    });
  }

  /** All live RSEs ordered by name, or those an RSE expression selects (an error when it selects none). */
  async listRses(_issuer: Issuer, expression?: string): Promise<RseSummary[]> {
    const manager = this.dataSource.manager;
    const all = (await listLiveRses(manager)).map(rseSummary);
    if (expression === undefined || expression === null) return all;
    const selected = new Set((await this.expressions.resolve(manager, expression)).map((rse) => rse.id));
    return all.filter((rse) => selected.has(rse.id));
  }

  /** Adds or replaces an attribute; `QOS` is the RSE's QoS class (its qos_class follows). */
  async setAttribute(issuer: Issuer, name: string, key: string, value: RseAttributeValue): Promise<void> {
    this.permissions.assertAdmin(issuer, `set attributes of RSE '${name}'`);
    const [validKey, validValue] = validAttribute(name, key, value);
    await rseChange(this.dataSource, `attribute ${validKey} of RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'share');
      await upsertRseAttribute(manager, rse.id, validKey, validValue);
    });
  }

  /** The RSE's attributes, its own name among them (`<RSE>: true`), as Rucio lists them. */
  async getAttributes(_issuer: Issuer, name: string): Promise<Record<string, RseAttributeValue>> {
    const manager = this.dataSource.manager;
    const rse = await requireRse(manager, name);
    return { [rse.rse]: true, ...(await listRseAttributes(manager, rse.id)) };
  }

  /** The QoS policies an RSE offers (Rucio's list_qos_policies). */
  async getQosPolicies(_issuer: Issuer, name: string): Promise<string[]> {
    const manager = this.dataSource.manager;
    return listRseQosPolicies(manager, (await requireRse(manager, name)).id);
  }

  /** Adds a QoS policy to an RSE (administrators); RSE expressions select it as `qos_policy=<policy>`. */
  async addQosPolicy(issuer: Issuer, name: string, policy: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `add QoS policies to RSE '${name}'`);
    const valid = validQosPolicy(policy);
    await rseChange(this.dataSource, `QoS policy ${valid} of RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'share');
      if (!(await insertRseQosPolicy(manager, rse.id, valid))) {
        throw new Duplicate(`RSE '${name}' has the QoS policy '${valid}' already.`, { rucioClass: 'Duplicate', details: { rse: name, policy: valid } });
      }
    });
  }

  async deleteQosPolicy(issuer: Issuer, name: string, policy: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `remove QoS policies from RSE '${name}'`);
    await rseChange(this.dataSource, `QoS policy ${policy} of RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'share');
      if (!(await deleteRseQosPolicy(manager, rse.id, policy))) {
        throw new NotFound(`RSE '${name}' has no QoS policy '${policy}'. List its policies (rucio rse qos list ${name}).`, {
          rucioClass: 'RSEAttributeNotFound',
          details: { rse: name, policy },
        });
      }
    });
  }

  async deleteAttribute(issuer: Issuer, name: string, key: string): Promise<void> {
    this.permissions.assertAdmin(issuer, `delete attributes of RSE '${name}'`);
    await rseChange(this.dataSource, `attribute ${key} of RSE '${name}'`, async (manager) => {
      const rse = await requireRse(manager, name, 'share');
      if (!(await deleteRseAttribute(manager, rse.id, key))) {
        throw new NotFound(`RSE '${name}' has no attribute '${key}'. List its attributes to see which it has.`, {
          rucioClass: 'RSEAttributeNotFound',
          details: { rse: name, key },
        });
      }
    });
  }

  /** Rucio's RSE info (get_rse_protocols), which the stock client uses to upload and download. */
  async getRseInfo(issuer: Issuer, name: string): Promise<RseInfo> {
    return unitOfWork(this.dataSource, { what: `RSE '${name}'` }, async (manager) => {
      const rse = await requireRse(manager, name);
      const [attributes, protocols] = [await listRseAttributes(manager, rse.id), await listRseProtocols(manager, rse.id)];
      return rseInfo(rse, attributes, protocols.map((p) => visibleProtocol(issuer, protocolView(p))));
    });
  }
}
