import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../../../migrations/index.js';
import { ENTITIES } from '../entities/index.js';
import { SnakeNamingStrategy } from '../snake-naming.strategy.js';

export interface DataSourceOptions {
  url: string;
  logSql?: boolean;
  poolSize?: number;
  applicationName?: string;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    migrationsRun: false,
    // Failed statements surface as errors (mapped in one place); logging them here would print whole batches.
    logging: options.logSql ? ['query', 'error'] : false,
    extra: { max: options.poolSize ?? 10, application_name: options.applicationName ?? 'tarn' },
  });
}
