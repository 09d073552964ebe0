import { EntityManager } from 'typeorm';

/** The rows of one section of the configs table (runtime knobs operators tune without a restart), as opt -> value. */
export async function readConfigSection(manager: EntityManager, section: string): Promise<Map<string, string>> {
  const rows: { opt: string; value: string }[] = await manager.query(`SELECT opt, value FROM configs WHERE section = $1`, [section]);
  return new Map(rows.map((r) => [r.opt, r.value]));
}
