import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { formatDid } from '@tarn/domain';
import type { ExpiryService } from '@tarn/core/rules/expiry.service.js';
import { OnceLog } from '@tarn/daemon';

export const UNDERTAKER = 'undertaker';

export interface UndertakerSettings {
  intervalMs: number;
  /** Expired DIDs removed per transaction (default 100). */
  batchSize: number;
  /** A pass stops starting batches after this long (default 5 s). */
  passBudgetMs: number;
}

/**
 * Removes expired DIDs (ExpiryService.removeExpiredDids: their unlocked rules first, then the DIDs, whose names
 * stay reserved), a batch per transaction; a DID a locked rule protects, or an approved lifetime exception keeps,
 * stays and is logged once with that rule or exception.
 * Sweeps every `intervalMs`; instances share the DIDs (SKIP LOCKED).
 */
export class UndertakerWorker implements DaemonDefinition {
  readonly name = UNDERTAKER;
  readonly intervalMs: number;
  private readonly reported = new OnceLog();

  constructor(
    private readonly expiry: ExpiryService,
    private readonly settings: UndertakerSettings,
  ) {
    this.intervalMs = settings.intervalMs;
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const deadline = Date.now() + this.settings.passBudgetMs;
    let deleted = 0;
    let full = false;
    do {
      const result = await this.expiry.removeExpiredDids(this.settings.batchSize);
      deleted += result.deleted.length;
      full = result.deleted.length >= this.settings.batchSize;
      if (result.deleted.length > 0) {
        ctx.logger.log(
          `${result.deleted.length} expired DID(s) deleted (e.g. ${formatDid(result.deleted[0])}), ${result.rulesRemoved.length} rule(s) removed` +
            `${result.replicasTombstoned ? `, ${result.replicasTombstoned} replica(s) tombstoned` : ''}`,
        );
      }
    } while (full && !ctx.stopping && Date.now() < deadline);
    for (const held of await this.expiry.protectedExpiredDids(this.settings.batchSize)) {
      if (this.reported.first(`${held.scope}:${held.name}`)) {
        ctx.logger.warn(
          `${formatDid(held)} expired at ${held.expiredAt.toISOString()} but locked rule ${held.ruleId} protects it, so it stays; ` +
            'unlock or delete that rule to let it go',
        );
      }
    }
    for (const kept of await this.expiry.exceptedExpiredDids(this.settings.batchSize)) {
      if (this.reported.first(`${kept.scope}:${kept.name}@${kept.exceptionId}`)) {
        ctx.logger.log(
          `${formatDid(kept)} expired at ${kept.expiredAt.toISOString()} but lifetime exception ${kept.exceptionId} keeps it ` +
            `until ${kept.keptUntil.toISOString()}`,
        );
      }
    }
    return { didWork: full, items: deleted };
  }
}
