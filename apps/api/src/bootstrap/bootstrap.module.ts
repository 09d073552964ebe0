import { Module } from '@nestjs/common';
import { AccountsModule } from '@tarn/core';
import { RootAccountBootstrap } from './root-account.bootstrap.js';

/** What the API process sets up in the catalogue when it starts (the root account). */
@Module({ imports: [AccountsModule], providers: [RootAccountBootstrap] })
export class BootstrapModule {}
