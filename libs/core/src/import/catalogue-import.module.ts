import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AccountsModule } from '../accounts/accounts.module.js';
import { CatalogueImportService } from './catalogue-import.service.js';

/** Rucio's import_data: RSEs, distances and accounts from an export. */
@Module({ imports: [AuthModule, AccountsModule], providers: [CatalogueImportService], exports: [CatalogueImportService] })
export class CatalogueImportModule {}
