import { EntityManager } from 'typeorm';

export interface ConfigEntry {
  section: string;
  opt: string;
  value: string;
}

/** The configs table: runtime knobs operators tune without a restart, by section and option. */
export const configRepository = {
  async list(manager: EntityManager, section: string | null = null): Promise<ConfigEntry[]> {
    return manager.query(
      `SELECT section, opt, value FROM configs WHERE $1::varchar IS NULL OR section = $1 ORDER BY section, opt`,
      [section],
    );
  },

  async get(manager: EntityManager, section: string, opt: string): Promise<string | null> {
    const rows = await manager.query(`SELECT value FROM configs WHERE section = $1 AND opt = $2`, [section, opt]);
    return rows.length === 0 ? null : rows[0].value;
  },

  /** Sets many options in one statement. */
  async set(manager: EntityManager, entries: readonly ConfigEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await manager.query(
      `INSERT INTO configs (section, opt, value)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[])
       ON CONFLICT (section, opt) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [entries.map((e) => e.section), entries.map((e) => e.opt), entries.map((e) => e.value)],
    );
  },

  /** Removes an option (or, without one, a whole section); returns how many options went. */
  async remove(manager: EntityManager, section: string, opt: string | null): Promise<number> {
    const [, count] = await manager.query(`DELETE FROM configs WHERE section = $1 AND ($2::varchar IS NULL OR opt = $2)`, [section, opt]);
    return count;
  },
};

/** The rows of one section of the configs table (runtime knobs operators tune without a restart), as opt -> value. */
export async function readConfigSection(manager: EntityManager, section: string): Promise<Map<string, string>> {
  const rows = await configRepository.list(manager, section);
  return new Map(rows.map((r) => [r.opt, r.value]));
}
