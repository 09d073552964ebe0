import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { RseProtocolRecord } from '@tarn/catalogue/repositories/rse-protocol.repository.js';
import { PosixStorage, type StorageProtocol } from '@tarn/storage';
import { PROBE_DIRECTORY, probeProtocol } from './storage-probe.js';

/** A posix directory, each probe through a real PosixStorage; `change` alters one of its operations as a faulty storage would. */
describe('the storage probe', () => {
  let root: string;
  const protocol = (priorities: Partial<RseProtocolRecord> = {}): RseProtocolRecord => ({
    rseId: 'x',
    scheme: 'file',
    hostname: 'localhost',
    port: 0,
    prefix: root,
    impl: 'rucio.rse.protocols.posix.Default',
    extendedAttributes: null,
    readLan: 1,
    writeLan: 1,
    deleteLan: 1,
    readWan: 1,
    writeWan: 1,
    deleteWan: 1,
    thirdPartyCopyRead: 0,
    thirdPartyCopyWrite: 0,
    ...priorities,
  });
  const probe = (change: (storage: StorageProtocol) => void = () => undefined, p = protocol()) =>
    probeProtocol('SITE_A', p, {
      stepTimeoutMs: 2000,
      open: () => {
        const storage = new PosixStorage({ root, rse: 'SITE_A' });
        change(storage);
        return storage;
      },
    });
  const left = () => readdirSync(join(root, PROBE_DIRECTORY), { withFileTypes: true }).filter((e) => e.isFile());

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tarn-probe-'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds nothing on a storage that works, and leaves nothing behind', async () => {
    expect(await probe()).toEqual([]);
    expect(left()).toEqual([]);
  });

  it('names the checksum step when the bytes read back differ, and still deletes the probe file', async () => {
    const findings = await probe((s) => {
      const read = s.read.bind(s);
      s.read = async (path, options) => {
        const bytes: Buffer[] = [];
        for await (const chunk of await read(path, options)) bytes.push(chunk as Buffer);
        const all = Buffer.concat(bytes);
        all[0] ^= 0xff;
        return Readable.from([all]);
      };
    });
    expect(findings).toEqual([
      expect.objectContaining({ check: 'storage', severity: 'error', subject: 'SITE_A file://localhost', what: expect.stringMatching(/^checksum failed: the probe file read back differs/) }),
    ]);
    expect(left()).toEqual([]);
  });

  it("names the checksum step when the storage reports a checksum the probe file does not have", async () => {
    const findings = await probe((s) => {
      const stat = s.stat.bind(s);
      s.stat = async (path) => ({ ...(await stat(path)), checksums: { md5: '0'.repeat(32) } });
    });
    expect(findings.map((f) => f.what)).toEqual([expect.stringMatching(/^checksum failed: the storage reports md5 0{32} for a probe file whose md5 is [0-9a-f]{32}$/)]);
  });

  it('names a delete that leaves the file, and the file left', async () => {
    const findings = await probe((s) => {
      s.delete = async () => ({ existed: true });
    });
    expect(findings.map((f) => [f.severity, f.what])).toEqual([
      ['error', expect.stringMatching(/^delete failed: the probe file is still at \.tarn-doctor\/probe-/)],
      ['warning', expect.stringMatching(/^the probe file \.tarn-doctor\/probe-\S+ is left on the storage/)],
    ]);
    expect(left()).toHaveLength(1);
  });

  it('names a step that does not answer in time', async () => {
    const findings = await probe((s) => {
      s.stat = () => new Promise(() => undefined);
    });
    expect(findings[0].what).toBe('stat failed: no answer within 2 s');
    expect(left()).toEqual([]);
  });

  it('asks a read-only protocol for a file that is not there, and writes nothing', async () => {
    let wrote = false;
    const findings = await probe(
      (s) => {
        s.write = async () => {
          wrote = true;
          throw new Error('no writes');
        };
      },
      protocol({ writeLan: 0, writeWan: 0, deleteLan: 0, deleteWan: 0 }),
    );
    expect([findings, wrote]).toEqual([[], false]);
  });
});
