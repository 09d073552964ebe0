import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TARN_CONFIG, type TarnConfig } from '@tarn/config';
import { openCatalogue, type CatalogueConnection } from './database/catalogue-connection.js';

export const CATALOGUE_CONNECTION = Symbol('CATALOGUE_CONNECTION');

/** Closes the DataSource, then stops the embedded PostgreSQL (in that order) when the process shuts down. */
@Injectable()
class CatalogueLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CATALOGUE_CONNECTION) private readonly connection: CatalogueConnection) {}

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: CATALOGUE_CONNECTION,
      inject: [TARN_CONFIG],
      useFactory: (config: TarnConfig) =>
        openCatalogue(config, {
          log: (line) => console.log(`[catalogue] ${line}`),
          // Without its catalogue this process can do nothing: one line, and a non-zero exit for its supervisor to see.
          onLost: (message) => {
            console.error(message);
            process.exit(1);
          },
        }),
    },
    { provide: DataSource, inject: [CATALOGUE_CONNECTION], useFactory: (c: CatalogueConnection) => c.dataSource },
    CatalogueLifecycle,
  ],
  exports: [DataSource, CATALOGUE_CONNECTION],
})
export class CatalogueModule {}
