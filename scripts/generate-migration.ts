/**
 * `npm run migration:generate -- <Name>`: generates a migration from the difference between the entities and
 * a database migrated to the current head, using TypeORM's own generator, on a throwaway embedded PostgreSQL.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@tarn/catalogue';

// Run through npm, from the repository root.
const ROOT = process.cwd();
const MIGRATIONS_DIR = path.join(ROOT, 'migrations');

function writeIndex(): void {
  const files = fs.readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+-.+\.ts$/.test(f)).sort();
  const classes = files.map((f) => {
    const source = fs.readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8');
    const match = /export class (\w+)/.exec(source);
    if (!match) throw new Error(`migrations/${f} has no exported class`);
    return { file: f.replace(/\.ts$/, ''), name: match[1] };
  });
  const lines = [
    '// Written by `npm run migration:generate`: every migration, in the order it was generated.',
    ...classes.map((c) => `import { ${c.name} } from './${c.file}.js';`),
    '',
    `export const MIGRATIONS: Function[] = [${classes.map((c) => c.name).join(', ')}];`,
    '',
  ];
  fs.writeFileSync(path.join(MIGRATIONS_DIR, 'index.ts'), lines.join('\n'));
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
    console.error('usage: npm run migration:generate -- <PascalCaseName>');
    process.exit(2);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tarn-migration-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = await startEmbeddedPostgres(home, port);
  try {
    const dataSource = createDataSource({ url: server.url });
    await dataSource.initialize();
    await runMigrations(dataSource);
    await dataSource.destroy();
    execFileSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/typeorm/cli.js'),
        'migration:generate', path.join('migrations', name), '-d', 'dist/scripts/cli-data-source.js', '--pretty'],
      { cwd: ROOT, stdio: 'inherit', env: { ...process.env, DATABASE_URL: server.url } },
    );
    writeIndex();
  } finally {
    await server.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
