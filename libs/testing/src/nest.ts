import { DynamicModule, Global, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { loadConfig, TARN_CONFIG } from '@tarn/config';
import type { TestDatabase } from './database.js';

/** Stands in for CatalogueModule in tests: the test file's own database instead of a connection of its own. */
@Global()
@Module({})
class TestCatalogueModule {
  static with(db: TestDatabase): DynamicModule {
    return {
      module: TestCatalogueModule,
      providers: [
        { provide: DataSource, useValue: db.dataSource },
        { provide: TARN_CONFIG, useValue: loadConfig({ DATABASE_URL: db.url }) },
      ],
      exports: [DataSource, TARN_CONFIG],
    };
  }
}

/** A Nest module graph over a test database, for testing services as the API and daemons use them. */
export async function createTestingModule(db: TestDatabase, imports: unknown[]): Promise<TestingModule> {
  return Test.createTestingModule({ imports: [TestCatalogueModule.with(db), ...(imports as never[])] }).compile();
}
