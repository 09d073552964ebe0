import type { ClientConfig } from 'pg';
import { DataSource } from 'typeorm';

/** Connection settings of a DataSource, for a dedicated connection outside its pool (LISTEN, session locks). */
export function pgClientConfig(dataSource: DataSource, applicationName: string): ClientConfig {
  const o = dataSource.options as {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    password?: string;
    database?: string;
    ssl?: ClientConfig['ssl'];
  };
  const base: ClientConfig = { application_name: applicationName, ssl: o.ssl };
  return o.url
    ? { ...base, connectionString: o.url }
    : { ...base, host: o.host, port: o.port, user: o.username, password: o.password, database: o.database };
}
