import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DidType, Duplicate } from '@tarn/domain';
import { unitOfWork } from '@tarn/catalogue';
import { insertContents } from '@tarn/catalogue/repositories/content.repository.js';
import { closeDid, type DidKey, insertDids, type NewDidRow } from '@tarn/catalogue/repositories/did.repository.js';

export interface FileSpec extends DidKey {
  bytes: number;
  adler32: string;
  md5: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A DID name nobody else uses: `<prefix>.<8 hex digits>`. */
export function uniqueDidName(prefix = 'did'): string {
  return `${prefix}.${hex(4)}`;
}

function row(scope: string, name: string, account: string, didType: DidType, file?: FileSpec): NewDidRow {
  return {
    scope,
    name,
    account,
    didType,
    isOpen: didType === DidType.FILE ? null : true,
    monotonic: false,
    bytes: file ? file.bytes : didType === DidType.DATASET ? 0 : null,
    length: didType === DidType.DATASET ? 0 : null,
    adler32: file?.adler32 ?? null,
    md5: file?.md5 ?? null,
    xxh64: null,
    guid: null,
    events: null,
    expiredAt: null,
  };
}

async function insertAll(
  dataSource: DataSource,
  what: string,
  rows: NewDidRow[],
  edges: { parent: DidKey; children: DidKey[] }[] = [],
  close?: DidKey,
) {
  await unitOfWork(dataSource, { what }, async (manager) => {
    if ((await insertDids(manager, rows)) < rows.length) throw new Duplicate(`${what}: a name is already taken.`);
    await insertContents(
      manager,
      edges.flatMap((e) => e.children.map((c) => ({ scope: e.parent.scope, name: e.parent.name, childScope: c.scope, childName: c.name }))),
    );
    if (close) await closeDid(manager, close.scope, close.name);
  });
}

/** Registers `count` files (random checksums, `bytes` each), bypassing permissions and events. */
export async function createFiles(
  dataSource: DataSource,
  input: { scope: string; account: string; count?: number; prefix?: string; bytes?: number },
): Promise<FileSpec[]> {
  const prefix = input.prefix ?? `file.${hex(4)}`;
  const files: FileSpec[] = Array.from({ length: input.count ?? 1 }, (_, i) => ({
    scope: input.scope,
    name: `${prefix}.${String(i).padStart(6, '0')}`,
    bytes: input.bytes ?? 1000,
    adler32: hex(4),
    md5: hex(16),
  }));
  await insertAll(dataSource, `${files.length} files in ${input.scope}`, files.map((f) => row(f.scope, f.name, input.account, DidType.FILE, f)));
  return files;
}

/**
 * Registers a dataset with new files (`files` a count) or existing ones (`files` a list), open unless `open` is
 * false; bytes and length are kept as the service keeps them.
 */
export async function createDataset(
  dataSource: DataSource,
  input: { scope: string; account: string; name?: string; files?: number | FileSpec[]; bytes?: number; open?: boolean },
): Promise<DidKey & { files: FileSpec[] }> {
  const name = input.name ?? uniqueDidName('dataset');
  const files = Array.isArray(input.files)
    ? input.files
    : await createFiles(dataSource, {
        scope: input.scope,
        account: input.account,
        count: input.files ?? 0,
        bytes: input.bytes,
        prefix: `${name}.file`,
      });
  const dataset = { scope: input.scope, name };
  const rows = [row(input.scope, name, input.account, DidType.DATASET)];
  await insertAll(dataSource, `dataset ${input.scope}:${name}`, rows, [{ parent: dataset, children: files }], input.open === false ? dataset : undefined);
  return { ...dataset, files };
}

/** Registers a container holding the given datasets or containers. */
export async function createContainer(
  dataSource: DataSource,
  input: { scope: string; account: string; name?: string; children?: DidKey[] },
): Promise<DidKey> {
  const name = input.name ?? uniqueDidName('container');
  const container = { scope: input.scope, name };
  const rows = [row(input.scope, name, input.account, DidType.CONTAINER)];
  await insertAll(dataSource, `container ${input.scope}:${name}`, rows, [{ parent: container, children: input.children ?? [] }]);
  return container;
}
