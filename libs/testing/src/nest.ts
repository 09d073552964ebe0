import { DynamicModule, Global, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { loadConfig, TARN_CONFIG } from '@tarn/config';
import type { TestDatabase } from './database.js';

/** Stands in for CatalogueModule in tests: the test file's own database instead of a connection of its own. */
@Global()
@Module({})
class TestCatalogueModule {
  static with(db: TestDatabase, configEnv: Record<string, string>): DynamicModule {
    return {
      module: TestCatalogueModule,
      providers: [
        { provide: DataSource, useValue: db.dataSource },
        { provide: TARN_CONFIG, useValue: loadConfig({ DATABASE_URL: db.url, ...configEnv }) },
      ],
      exports: [DataSource, TARN_CONFIG],
    };
  }
}

/**
 * A Nest module graph over a test database, for testing services as the API and daemons use them.
 * `configEnv` adds settings to its TarnConfig (e.g. KAFKA_BROKERS for the Kafka event bus).
 */
export async function createTestingModule(db: TestDatabase, imports: unknown[], configEnv: Record<string, string> = {}): Promise<TestingModule> {
  return Test.createTestingModule({ imports: [TestCatalogueModule.with(db, configEnv), ...(imports as never[])] }).compile();
}
