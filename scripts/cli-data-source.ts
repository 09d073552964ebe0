// The data source the TypeORM CLI generates migrations against (see scripts/generate-migration.ts).
import { createDataSource } from '@tarn/catalogue';

if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must point at a migrated database');
export default createDataSource({ url: process.env.DATABASE_URL });
