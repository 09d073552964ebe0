export * from './entities/index.js';
export * from './database/data-source.js';
export * from './database/embedded-postgres.js';
export * from './database/migrations.js';
export * from './database/catalogue-connection.js';
export * from './catalogue.module.js';
export * from './database/database-errors.js';
export * from './database/unit-of-work.js';
