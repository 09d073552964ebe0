/** Files for the benches, registered with plain SQL (the benches measure what comes after). */
import { DataSource } from 'typeorm';

/**
 * `count` files `<prefix>.<nnnnnn>` of 1 MB in `scope` (account bench), each with an adler32 and md5; with `dataset`,
 * an open dataset too, holding them when `attached`, else empty. Returns the file names.
 */
export async function createBenchFiles(ds: DataSource, scope: string, prefix: string, count: number, dataset?: string, attached = false): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}.${String(i).padStart(6, '0')}`);
  await ds.query(
    `INSERT INTO dids (scope, name, account, did_type, bytes, adler32, md5)
     SELECT $1::varchar, n, 'bench', 'F', 1000000, lpad(to_hex(ord::int), 8, '0'), md5(n) FROM unnest($2::varchar[]) WITH ORDINALITY AS u(n, ord)`,
    [scope, names],
  );
  if (dataset) {
    await ds.query(`INSERT INTO dids (scope, name, account, did_type, is_open, bytes, length) VALUES ($1, $2, 'bench', 'D', true, $3, $4)`, [
      scope,
      dataset,
      attached ? count * 1_000_000 : 0,
      attached ? count : 0,
    ]);
    if (attached) {
      await ds.query(
        `INSERT INTO contents (scope, name, child_scope, child_name, did_type, child_type, bytes, adler32, md5)
         SELECT $1::varchar, $2::varchar, d.scope, d.name, 'D', 'F', d.bytes, d.adler32, d.md5 FROM dids d WHERE d.scope = $1::varchar AND d.name = ANY($3::varchar[])`,
        [scope, dataset, names],
      );
    }
  }
  return names;
}
