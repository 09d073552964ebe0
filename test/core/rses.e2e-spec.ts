import { TestingModule } from '@nestjs/testing';
import { Duplicate, Forbidden, InvalidInput, NotFound, TarnError } from '@tarn/domain';
import { ROOT_ISSUER } from '@tarn/core/auth/issuer.js';
import { RsesModule } from '@tarn/core/rses/rses.module.js';
import { RseService } from '@tarn/core/rses/rse.service.js';
import { RseProtocolService } from '@tarn/core/rses/rse-protocol.service.js';
import { RseSpaceService } from '@tarn/core/rses/rse-space.service.js';
import { DistanceService } from '@tarn/core/rses/distance.service.js';
import { protocolsFor } from '@tarn/core/rses/rse-protocol.mapping.js';
import { createTestDatabase, TestDatabase } from '@tarn/testing/database.js';
import { createTestingModule } from '@tarn/testing/nest.js';

const ADMIN = ROOT_ISSUER;
const USER = { account: 'jdoe', admin: false };

async function rejection(promise: Promise<unknown>): Promise<TarnError> {
  try {
    await promise;
  } catch (error) {
    return error as TarnError;
  }
  throw new Error('expected the call to fail, it succeeded');
}

describe('RSEs', () => {
  let db: TestDatabase;
  let moduleRef: TestingModule;
  let rses: RseService;
  let protocols: RseProtocolService;
  let space: RseSpaceService;
  let distances: DistanceService;

  beforeAll(async () => {
    db = await createTestDatabase();
    moduleRef = await createTestingModule(db, [RsesModule]);
    rses = moduleRef.get(RseService);
    protocols = moduleRef.get(RseProtocolService);
    space = moduleRef.get(RseSpaceService);
    distances = moduleRef.get(DistanceService);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await db?.drop();
  });

  describe('add, get, list', () => {
    it('adds an RSE with Rucio defaults and the given properties', async () => {
      const added = await rses.addRse(ADMIN, { rse: 'CERN-PROD_DATADISK', qosClass: 'SAFE', city: 'Geneva', countryName: 'Switzerland', latitude: 46.2 });
      expect(added).toMatchObject({
        rse: 'CERN-PROD_DATADISK',
        rseType: 'DISK',
        deterministic: true,
        volatile: false,
        staging: false,
        qosClass: 'SAFE',
        availabilityRead: true,
        availabilityWrite: true,
        availabilityDelete: true,
        availability: 7,
        city: 'Geneva',
        countryName: 'Switzerland',
        latitude: 46.2,
        longitude: null,
      });
      expect(added.id).toMatch(/^[0-9a-f-]{36}$/);

      const details = await rses.getRse(ADMIN, 'CERN-PROD_DATADISK');
      expect(details).toMatchObject({ id: added.id, attributes: {}, protocols: [] });
    });

    it('adds a TAPE RSE, non-deterministic, with availability given as Rucio integer', async () => {
      const added = await rses.addRse(ADMIN, { rse: 'TAPE_1', rseType: 'tape', deterministic: false, staging: true, availability: 4 });
      expect(added).toMatchObject({ rseType: 'TAPE', deterministic: false, staging: true, availabilityRead: true, availabilityWrite: false, availabilityDelete: false, availability: 4 });
    });

    it('refuses invalid names, saying why', async () => {
      const lower = await rejection(rses.addRse(ADMIN, { rse: 'site_a' }));
      expect(lower).toBeInstanceOf(InvalidInput);
      expect(lower.rucioClass).toBe('InvalidObject');
      expect(lower.message).toMatch(/upper case.*"SITE_A"/);
      const spaced = await rejection(rses.addRse(ADMIN, { rse: 'SITE A' }));
      expect(spaced.message).toMatch(/only upper-case letters, digits/);
      await expect(rses.addRse(ADMIN, { rse: '' })).rejects.toBeInstanceOf(InvalidInput);
      await expect(rses.addRse(ADMIN, { rse: 'X'.repeat(256) })).rejects.toThrow(/at most 255/);
    });

    it('refuses invalid properties', async () => {
      await expect(rses.addRse(ADMIN, { rse: 'BAD_TYPE', rseType: 'CLOUD' as never })).rejects.toThrow(/DISK or TAPE/);
      await expect(rses.addRse(ADMIN, { rse: 'BAD_AV', availability: 9 })).rejects.toThrow(/0 to 7/);
      await expect(rses.addRse(ADMIN, { rse: 'BAD_BOOL', volatile: 'yes' as never })).rejects.toThrow(/volatile is true or false/);
      await expect(rses.addRse(ADMIN, { rse: 'BAD_LAT', latitude: 91 })).rejects.toThrow(/latitude/);
      await expect(rses.addRse(ADMIN, { rse: 'BAD_REGION', regionCode: 'TOO-LONG-REGION' })).rejects.toThrow(/regionCode/);
      expect(await rses.listRses(ADMIN)).not.toContainEqual(expect.objectContaining({ rse: 'BAD_TYPE' }));
    });

    it('refuses a duplicate live name with Duplicate', async () => {
      const error = await rejection(rses.addRse(ADMIN, { rse: 'CERN-PROD_DATADISK' }));
      expect(error).toBeInstanceOf(Duplicate);
      expect(error.rucioClass).toBe('Duplicate');
      expect(error.message).toContain("RSE 'CERN-PROD_DATADISK' already exists");
    });

    it('lets only administrators write', async () => {
      const error = await rejection(rses.addRse(USER, { rse: 'USER_RSE' }));
      expect(error).toBeInstanceOf(Forbidden);
      expect(error.message).toContain("Account 'jdoe' may not add RSE 'USER_RSE'");
      await expect(rses.updateRse(USER, 'TAPE_1', { volatile: true })).rejects.toBeInstanceOf(Forbidden);
      await expect(rses.deleteRse(USER, 'TAPE_1')).rejects.toBeInstanceOf(Forbidden);
      await expect(rses.setAttribute(USER, 'TAPE_1', 'k', 'v')).rejects.toBeInstanceOf(Forbidden);
      await expect(protocols.addProtocol(USER, 'TAPE_1', { scheme: 'file', impl: 'x' })).rejects.toBeInstanceOf(Forbidden);
      await expect(space.setLimit(USER, 'TAPE_1', 'MaxBytes', 1)).rejects.toBeInstanceOf(Forbidden);
      await expect(distances.setDistance(USER, 'TAPE_1', 'CERN-PROD_DATADISK', 1)).rejects.toBeInstanceOf(Forbidden);
    });

    it('answers RSENotFound for an unknown RSE', async () => {
      const error = await rejection(rses.getRse(ADMIN, 'NOWHERE'));
      expect(error).toBeInstanceOf(NotFound);
      expect(error.rucioClass).toBe('RSENotFound');
      expect(error.message).toContain("RSE 'NOWHERE' not found");
    });

    it('lists live RSEs by name, all or by expression', async () => {
      const names = (await rses.listRses(ADMIN)).map((r) => r.rse);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining(['CERN-PROD_DATADISK', 'TAPE_1']));
      expect((await rses.listRses(ADMIN, 'rse_type=TAPE')).map((r) => r.rse)).toEqual(['TAPE_1']);
      await expect(rses.listRses(ADMIN, 'rse_type=TAPE&deterministic=true')).rejects.toThrow(/selects no RSE/);
    });
  });

  describe('update', () => {
    beforeAll(async () => {
      await rses.addRse(ADMIN, { rse: 'UPD_1' });
      await rses.addRse(ADMIN, { rse: 'UPD_2' });
    });

    it('changes availability, qos_class, type and location, leaving the rest', async () => {
      const updated = await rses.updateRse(ADMIN, 'UPD_1', { availabilityWrite: false, qosClass: 'FAST', rseType: 'TAPE', city: 'Hamburg', volatile: true });
      expect(updated).toMatchObject({ availabilityRead: true, availabilityWrite: false, availabilityDelete: true, availability: 5, qosClass: 'FAST', rseType: 'TAPE', city: 'Hamburg', volatile: true, deterministic: true });
      expect((await rses.updateRse(ADMIN, 'UPD_1', { availability: 7, qosClass: 'none' })).qosClass).toBeNull();
      expect((await rses.getRse(ADMIN, 'UPD_1')).availability).toBe(7);
      expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(updated.createdAt.getTime());
    });

    it('renames, but not onto another live RSE', async () => {
      await rses.updateRse(ADMIN, 'UPD_2', { rse: 'UPD_TWO' });
      await expect(rses.getRse(ADMIN, 'UPD_2')).rejects.toBeInstanceOf(NotFound);
      expect((await rses.getRse(ADMIN, 'UPD_TWO')).rse).toBe('UPD_TWO');
      await expect(rses.updateRse(ADMIN, 'UPD_TWO', { rse: 'UPD_1' })).rejects.toBeInstanceOf(Duplicate);
      await expect(rses.updateRse(ADMIN, 'UPD_TWO', { rse: 'lower' })).rejects.toThrow(/upper case/);
    });

    it('answers RSENotFound for an unknown RSE', async () => {
      await expect(rses.updateRse(ADMIN, 'NOWHERE', { volatile: true })).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
    });
  });

  describe('delete', () => {
    it('is refused while replicas are registered on the RSE, then soft-deletes it', async () => {
      const rse = await rses.addRse(ADMIN, { rse: 'DEL_1' });
      await db.dataSource.query(`INSERT INTO replicas (scope, name, rse_id, bytes, state) VALUES ('user.jdoe', 'f1', $1, 10, 'A')`, [rse.id]);

      const error = await rejection(rses.deleteRse(ADMIN, 'DEL_1'));
      expect(error).toBeInstanceOf(InvalidInput);
      expect(error.rucioClass).toBe('UnsupportedOperation');
      expect(error.message).toContain("RSE 'DEL_1' is not empty: 1 replica is still registered on it");
      expect((await rses.getRse(ADMIN, 'DEL_1')).id).toBe(rse.id);

      await db.dataSource.query(`DELETE FROM replicas WHERE rse_id = $1`, [rse.id]);
      await rses.deleteRse(ADMIN, 'DEL_1');
      const [row] = await db.dataSource.query(`SELECT deleted, deleted_at FROM rses WHERE id = $1`, [rse.id]);
      expect(row.deleted).toBe(true);
      expect(row.deleted_at).toBeInstanceOf(Date);
      await expect(rses.getRse(ADMIN, 'DEL_1')).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
      expect((await rses.listRses(ADMIN)).map((r) => r.rse)).not.toContain('DEL_1');
      await expect(rses.deleteRse(ADMIN, 'DEL_1')).rejects.toMatchObject({ rucioClass: 'RSENotFound' });

      // The name of a deleted RSE may be used again, by a new RSE.
      const again = await rses.addRse(ADMIN, { rse: 'DEL_1' });
      expect(again.id).not.toBe(rse.id);
    });
  });

  describe('attributes', () => {
    beforeAll(() => rses.addRse(ADMIN, { rse: 'ATTR_1' }));

    it('keeps string, number and boolean values typed, and replaces on set', async () => {
      await rses.setAttribute(ADMIN, 'ATTR_1', 'QOS', 'SAFE');
      await rses.setAttribute(ADMIN, 'ATTR_1', 'tier', 1);
      await rses.setAttribute(ADMIN, 'ATTR_1', 'freespace', 12.5);
      await rses.setAttribute(ADMIN, 'ATTR_1', 'greedyDeletion', true);
      expect(await rses.getAttributes(ADMIN, 'ATTR_1')).toEqual({ ATTR_1: true, QOS: 'SAFE', tier: 1, freespace: 12.5, greedyDeletion: true });
      await rses.setAttribute(ADMIN, 'ATTR_1', 'tier', '2');
      expect((await rses.getAttributes(ADMIN, 'ATTR_1')).tier).toBe('2');
      expect((await rses.getRse(ADMIN, 'ATTR_1')).attributes).toMatchObject({ QOS: 'SAFE', tier: '2' });
      // QOS is the RSE's QoS class: the qos_class column follows it.
      expect((await rses.getRse(ADMIN, 'ATTR_1')).qosClass).toBe('SAFE');
    });

    it('deletes an attribute, and says when there is none', async () => {
      await rses.deleteAttribute(ADMIN, 'ATTR_1', 'greedyDeletion');
      expect(await rses.getAttributes(ADMIN, 'ATTR_1')).not.toHaveProperty('greedyDeletion');
      const error = await rejection(rses.deleteAttribute(ADMIN, 'ATTR_1', 'greedyDeletion'));
      expect(error).toBeInstanceOf(NotFound);
      expect(error.rucioClass).toBe('RSEAttributeNotFound');
      expect(error.message).toContain("RSE 'ATTR_1' has no attribute 'greedyDeletion'");
    });

    it('refuses keys expressions cannot name and values that are not string, number or boolean', async () => {
      await expect(rses.setAttribute(ADMIN, 'ATTR_1', 'bad key', 'x')).rejects.toThrow(/attribute key "bad key" is invalid/);
      await expect(rses.setAttribute(ADMIN, 'ATTR_1', 'k', { a: 1 } as never)).rejects.toMatchObject({ rucioClass: 'InvalidValueForKey' });
      await expect(rses.setAttribute(ADMIN, 'ATTR_1', 'k', Number.NaN)).rejects.toMatchObject({ rucioClass: 'InvalidValueForKey' });
      await expect(rses.setAttribute(ADMIN, 'NOWHERE', 'k', 'v')).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
    });
  });

  describe('protocols', () => {
    const posix = {
      scheme: 'file',
      hostname: 'localhost',
      port: 0,
      prefix: '/data/tarn',
      impl: 'rucio.rse.protocols.posix.Default',
      domains: { lan: { read: 1, write: 1, delete: 1 }, wan: { read: 2, write: 2, delete: 2, third_party_copy_read: 0, third_party_copy_write: 0 } },
    };
    const https = {
      scheme: 'davs',
      hostname: 'dav.example.org',
      port: 443,
      prefix: '/tarn/',
      impl: 'rucio.rse.protocols.gfal.Default',
      domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy: 1 } },
      extendedAttributes: { tokens: true },
    };
    let rseId: string;

    beforeAll(async () => {
      rseId = (await rses.addRse(ADMIN, { rse: 'PROTO_1', qosClass: 'SAFE' })).id;
    });

    it('adds protocols with priorities (0 = not offered) and lists them sorted by hostname, scheme, port', async () => {
      await protocols.addProtocol(ADMIN, 'PROTO_1', posix);
      const added = await protocols.addProtocol(ADMIN, 'PROTO_1', https);
      expect(added.domains).toEqual({
        lan: { read: 0, write: 0, delete: 0 },
        wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
      });
      const listed = await protocols.listProtocols(ADMIN, 'PROTO_1');
      expect(listed.map((p) => `${p.hostname}/${p.scheme}`)).toEqual(['dav.example.org/davs', 'localhost/file']);
      expect(listed[0].extendedAttributes).toEqual({ tokens: true });
      expect(listed[1].domains.lan).toEqual({ read: 1, write: 1, delete: 1 });
    });

    it('defaults hostname to localhost and port to 0, as Rucio does', async () => {
      const added = await protocols.addProtocol(ADMIN, 'PROTO_1', { scheme: 'root', impl: 'rucio.rse.protocols.xrootd.Default' });
      expect(added).toMatchObject({ hostname: 'localhost', port: 0, prefix: '', domains: { wan: { read: 0 } } });
      expect(await protocols.deleteProtocols(ADMIN, 'PROTO_1', 'root')).toBe(1);
    });

    it('refuses a second protocol with the same scheme, hostname and port', async () => {
      const error = await rejection(protocols.addProtocol(ADMIN, 'PROTO_1', { ...https, prefix: '/other' }));
      expect(error).toBeInstanceOf(Duplicate);
      expect(error.message).toContain("Protocol 'davs' on port 443 is already registered for RSE 'PROTO_1' with hostname 'dav.example.org'");
    });

    it('refuses unknown domains and operations, negative priorities and srm without web_service_path', async () => {
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { ...https, port: 1, domains: { dmz: { read: 1 } } as never })).rejects.toThrow(/domain 'dmz' is not defined/);
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { ...https, port: 1, domains: { wan: { stat: 1 } } as never })).rejects.toThrow(/operation 'stat' is not defined/);
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { ...https, port: 1, domains: { wan: { read: -1 } } })).rejects.toThrow(/priority -1 for 'read'/);
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { scheme: 'srm', impl: 'x', hostname: 'se' })).rejects.toThrow(/web_service_path/);
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { scheme: 'x' } as never)).rejects.toThrow(/needs impl/);
      await expect(protocols.addProtocol(ADMIN, 'PROTO_1', { ...https, port: 70000 })).rejects.toThrow(/port/);
    });

    it('builds the RSE info the stock client expects, key for key', async () => {
      const info = await rses.getRseInfo(ADMIN, 'PROTO_1');
      expect(info).toEqual({
        availability_delete: true,
        availability_read: true,
        availability_write: true,
        credentials: null,
        deterministic: true,
        domain: ['lan', 'wan'],
        id: rseId,
        lfn2pfn_algorithm: 'hash',
        protocols: [
          {
            hostname: 'dav.example.org',
            scheme: 'davs',
            port: 443,
            prefix: '/tarn/',
            impl: 'rucio.rse.protocols.gfal.Default',
            domains: {
              lan: { read: 0, write: 0, delete: 0 },
              wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 },
            },
            extended_attributes: { tokens: true },
          },
          {
            hostname: 'localhost',
            scheme: 'file',
            port: 0,
            prefix: '/data/tarn',
            impl: 'rucio.rse.protocols.posix.Default',
            domains: {
              lan: { read: 1, write: 1, delete: 1 },
              wan: { read: 2, write: 2, delete: 2, third_party_copy_read: 0, third_party_copy_write: 0 },
            },
            extended_attributes: null,
          },
        ],
        qos_class: 'SAFE',
        rse: 'PROTO_1',
        rse_type: 'DISK',
        sign_url: null,
        staging_area: false,
        verify_checksum: true,
        volatile: false,
        read_protocol: 1,
        write_protocol: 1,
        delete_protocol: 1,
        third_party_copy_read_protocol: 1,
        third_party_copy_write_protocol: 1,
      });
      expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    });

    it('takes lfn2pfn_algorithm, verify_checksum and sign_url from attributes', async () => {
      await rses.setAttribute(ADMIN, 'PROTO_1', 'lfn2pfn_algorithm', 'identity');
      await rses.setAttribute(ADMIN, 'PROTO_1', 'verify_checksum', false);
      await rses.setAttribute(ADMIN, 'PROTO_1', 'sign_url', 's3');
      expect(await rses.getRseInfo(ADMIN, 'PROTO_1')).toMatchObject({ lfn2pfn_algorithm: 'identity', verify_checksum: false, sign_url: 's3' });
      for (const key of ['lfn2pfn_algorithm', 'verify_checksum', 'sign_url']) await rses.deleteAttribute(ADMIN, 'PROTO_1', key);
    });

    it('orders the protocols offering an operation as the rsemanager picks them', async () => {
      const info = await rses.getRseInfo(ADMIN, 'PROTO_1');
      expect(protocolsFor(info.protocols, 'read', 'wan').map((p) => p.scheme)).toEqual(['davs', 'file']);
      expect(protocolsFor(info.protocols, 'read', 'lan').map((p) => p.scheme)).toEqual(['file']);
      expect(protocolsFor(info.protocols, 'third_party_copy_read').map((p) => p.scheme)).toEqual(['davs']);
    });

    it('updates priorities and other fields, the key too', async () => {
      const updated = await protocols.updateProtocol(ADMIN, 'PROTO_1', { scheme: 'file', hostname: 'localhost', port: 0 }, { domains: { wan: { read: 1 } }, prefix: '/data/new' });
      expect(updated).toMatchObject({ prefix: '/data/new', domains: { wan: { read: 1, write: 2 }, lan: { read: 1 } } });
      await protocols.updateProtocol(ADMIN, 'PROTO_1', { scheme: 'davs', hostname: 'dav.example.org', port: 443 }, { domains: { wan: { read: 3, third_party_copy_write: 0 } } });
      const info = await rses.getRseInfo(ADMIN, 'PROTO_1');
      expect(protocolsFor(info.protocols, 'read').map((p) => p.scheme)).toEqual(['file', 'davs']);
      expect(protocolsFor(info.protocols, 'third_party_copy_write')).toEqual([]);

      const moved = await protocols.updateProtocol(ADMIN, 'PROTO_1', { scheme: 'davs', hostname: 'dav.example.org', port: 443 }, { port: 8443 });
      expect(moved.port).toBe(8443);
      await protocols.addProtocol(ADMIN, 'PROTO_1', https);
      await expect(
        protocols.updateProtocol(ADMIN, 'PROTO_1', { scheme: 'davs', hostname: 'dav.example.org', port: 8443 }, { port: 443 }),
      ).rejects.toBeInstanceOf(Duplicate);
    });

    it('answers RSEProtocolNotSupported for a protocol the RSE does not have', async () => {
      const error = await rejection(protocols.updateProtocol(ADMIN, 'PROTO_1', { scheme: 'gsiftp', hostname: 'localhost', port: 0 }, { prefix: '/' }));
      expect(error).toBeInstanceOf(NotFound);
      expect(error.rucioClass).toBe('RSEProtocolNotSupported');
      expect(error.message).toContain("RSE 'PROTO_1' does not support protocol 'gsiftp' for hostname 'localhost' on port 0");
      await expect(protocols.deleteProtocols(ADMIN, 'PROTO_1', 'gsiftp')).rejects.toMatchObject({ rucioClass: 'RSEProtocolNotSupported' });
    });

    it('deletes by scheme, narrowed by hostname and port', async () => {
      expect(await protocols.deleteProtocols(ADMIN, 'PROTO_1', 'davs', 'dav.example.org', 443)).toBe(1);
      expect((await protocols.listProtocols(ADMIN, 'PROTO_1')).map((p) => `${p.scheme}:${p.port}`)).toEqual(['davs:8443', 'file:0']);
      expect(await protocols.deleteProtocols(ADMIN, 'PROTO_1', 'davs')).toBe(1);
      expect((await protocols.listProtocols(ADMIN, 'PROTO_1')).map((p) => p.scheme)).toEqual(['file']);
    });
  });

  describe('limits and usage', () => {
    beforeAll(() => rses.addRse(ADMIN, { rse: 'SPACE_1' }));

    it('sets, reads and deletes named limits', async () => {
      await space.setLimit(ADMIN, 'SPACE_1', 'MinFreeSpace', 1_000);
      await space.setLimit(ADMIN, 'SPACE_1', 'MaxBytes', 2 ** 45);
      await space.setLimit(ADMIN, 'SPACE_1', 'MaxBytes', 2 ** 44);
      await space.setLimit(ADMIN, 'SPACE_1', 'MaxTransfers', 5);
      expect(await space.getLimits(ADMIN, 'SPACE_1')).toEqual({ MinFreeSpace: 1_000, MaxBytes: 2 ** 44, MaxTransfers: 5 });
      expect(await space.deleteLimit(ADMIN, 'SPACE_1', 'MaxTransfers')).toBe(true);
      expect(await space.deleteLimit(ADMIN, 'SPACE_1', 'MaxTransfers')).toBe(false);
      expect(await space.getLimits(ADMIN, 'SPACE_1')).toEqual({ MinFreeSpace: 1_000, MaxBytes: 2 ** 44 });
      await expect(space.setLimit(ADMIN, 'SPACE_1', 'MaxBytes', -5)).rejects.toThrow(/at least 0/);
      await expect(space.setLimit(ADMIN, 'SPACE_1', '', 5)).rejects.toBeInstanceOf(InvalidInput);
      await expect(space.getLimits(ADMIN, 'NOWHERE')).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
    });

    it('sets usage per source, with Rucio totals, keeping the file count when not given', async () => {
      await space.setUsage(ADMIN, 'SPACE_1', { source: 'rucio', used: 3_000, files: 3 });
      await space.setUsage(ADMIN, 'SPACE_1', { source: 'storage', used: 5_000, free: 2 ** 40 });
      await space.setUsage(ADMIN, 'SPACE_1', { source: 'rucio', used: 4_000 });
      const usage = await space.getUsage(ADMIN, 'SPACE_1');
      expect(usage.map(({ updatedAt, ...u }) => u)).toEqual([
        { rseId: expect.any(String), rse: 'SPACE_1', source: 'rucio', used: 4_000, free: null, total: 4_000, files: 3 },
        { rseId: expect.any(String), rse: 'SPACE_1', source: 'storage', used: 5_000, free: 2 ** 40, total: 5_000 + 2 ** 40, files: 0 },
      ]);
      expect((await space.getUsage(ADMIN, 'SPACE_1', 'storage')).map((u) => u.source)).toEqual(['storage']);
      await expect(space.setUsage(ADMIN, 'SPACE_1', { source: 'rucio', used: 1.5 })).rejects.toBeInstanceOf(InvalidInput);
    });
  });

  describe('distances', () => {
    beforeAll(async () => {
      await rses.addRse(ADMIN, { rse: 'DIST_A' });
      await rses.addRse(ADMIN, { rse: 'DIST_B' });
      await rses.addRse(ADMIN, { rse: 'DIST_C' });
    });

    it('sets (one direction), reads and deletes distances between existing RSEs', async () => {
      await distances.setDistance(ADMIN, 'DIST_A', 'DIST_B', 10);
      await distances.setDistance(ADMIN, 'DIST_A', 'DIST_C', 3);
      await distances.setDistance(ADMIN, 'DIST_B', 'DIST_A', 7);
      await distances.setDistance(ADMIN, 'DIST_A', 'DIST_B', 4);
      const from = await distances.getDistances(ADMIN, { src: 'DIST_A' });
      expect(from.map((d) => [d.srcRse, d.destRse, d.distance])).toEqual([
        ['DIST_A', 'DIST_B', 4],
        ['DIST_A', 'DIST_C', 3],
      ]);
      expect((await distances.getDistances(ADMIN, { src: 'DIST_B', dest: 'DIST_A' })).map((d) => d.distance)).toEqual([7]);
      expect((await distances.getDistances(ADMIN, { dest: 'DIST_A' })).map((d) => d.srcRse)).toEqual(['DIST_B']);
      expect(await distances.deleteDistance(ADMIN, 'DIST_A', 'DIST_C')).toBe(true);
      expect(await distances.deleteDistance(ADMIN, 'DIST_A', 'DIST_C')).toBe(false);
      expect((await distances.getDistances(ADMIN, { src: 'DIST_A' })).map((d) => d.destRse)).toEqual(['DIST_B']);
    });

    it('needs both RSEs to exist and a distance of at least 0', async () => {
      await expect(distances.setDistance(ADMIN, 'DIST_A', 'NOWHERE', 1)).rejects.toMatchObject({ rucioClass: 'RSENotFound', message: expect.stringContaining("'NOWHERE'") });
      await expect(distances.setDistance(ADMIN, 'NOWHERE', 'DIST_A', 1)).rejects.toMatchObject({ rucioClass: 'RSENotFound' });
      await expect(distances.setDistance(ADMIN, 'DIST_A', 'DIST_B', -1)).rejects.toBeInstanceOf(InvalidInput);
    });
  });
});
