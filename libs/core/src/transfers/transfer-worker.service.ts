import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { unitOfWork } from '@tarn/catalogue';
import { BadReplicaState } from '@tarn/domain';
import {
  transferRequestRepository,
  type LeasedTransfer,
  type TransferReport,
  type TransferRse,
} from '@tarn/catalogue/repositories/transfer-request.repository.js';
import { appendEvents, tarnEvent, type Logger, silentLogger, type TarnEvent } from '@tarn/events';
import { BuiltinTransferTool } from './builtin-transfer-tool.js';
import { declareCorruptReplicas } from '../replicas/corrupt-replicas.js';
import { copyVerified, CorruptSource } from './transfer-copier.js';
import { DestinationQueues } from './destination-queues.js';
import { transferPath, TransferStorages } from './transfer-endpoints.js';
import { readTransferSettings } from './transfer-settings.js';
import { BUILTIN_TRANSFER_TOOL } from './transfer-tool.js';

export interface WorkerBatchOptions {
  /** Transfers leased per batch at most. */
  limit: number;
  /** Files copied at the same time at most. */
  concurrency: number;
  logger?: Logger;
}

export interface WorkerBatchOutcome {
  taken: number;
  done: number;
  failed: number;
  /** Outcomes not recorded: the transfer was cancelled meanwhile, or another worker took it over. */
  lost: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * The built-in transfer tool's worker: leases SUBMITTED transfers (a lease per attempt, renewed while copying,
 * so that the transfers of a worker that died are taken over once its leases expire), copies them with
 * bounded concurrency through copyVerified (third-party where both ends can, else streamed and checksummed in
 * the same pass; committed at the destination only once verified; the next protocol of an RSE when one fails),
 * and reports DONE or FAILED with the reason and the copy's method in batches, with their transfer.done /
 * transfer.failed events.
 */
@Injectable()
export class TransferWorkerService implements OnModuleDestroy {
  /** requests.external_host of this worker's leases. */
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly storages = new TransferStorages();

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(BuiltinTransferTool) private readonly tool: BuiltinTransferTool,
  ) {}

  /**
   * Leases SUBMITTED transfers and copies them, `concurrency` at once, until `limit` were taken or none is
   * left. Leased in chunks of twice the concurrency into one queue per destination RSE (DestinationQueues: the
   * lanes share out between the destinations that have work, so that a slow storage does not hold a fast one's
   * copies behind it), the next chunk as soon as fewer than `concurrency` wait or a destination's queue runs dry,
   * leaving out the destinations that have a chunk waiting; the leases of waiting transfers are renewed with
   * those of the running ones.
   */
  async runBatch(options: WorkerBatchOptions): Promise<WorkerBatchOutcome> {
    const logger = options.logger ?? silentLogger;
    const settings = await readTransferSettings(this.dataSource.manager);
    const chunk = Math.max(1, Math.min(options.limit, options.concurrency * 2));
    const rses = new Map<string, TransferRse>();
    const lease = async (limit: number, exceptDestinations: readonly string[]): Promise<LeasedTransfer[]> => {
      const leased = await unitOfWork(this.dataSource, { what: 'leasing transfers' }, (manager) =>
        transferRequestRepository.lease(manager, BUILTIN_TRANSFER_TOOL, this.holder, settings.leaseSeconds, limit, exceptDestinations),
      );
      const missing = leased.flatMap((t) => [t.sourceRseId, t.destRseId]).filter((id) => !rses.has(id));
      if (missing.length > 0) for (const [id, rse] of await transferRequestRepository.rses(this.dataSource.manager, missing)) rses.set(id, rse);
      return leased;
    };
    const queues = new DestinationQueues<LeasedTransfer>(chunk);
    const first = await lease(chunk, []);
    queues.push(first);
    const outcome: WorkerBatchOutcome = { taken: first.length, done: 0, failed: 0, lost: 0 };
    if (first.length === 0) return outcome;

    const inFlight = new Map<string, AbortController>();
    const renewal = setInterval(() => {
      const tokens = [...inFlight.keys(), ...queues.tokens()];
      transferRequestRepository.renewLeases(this.dataSource.manager, tokens, settings.leaseSeconds).then(
        (held) => {
          const kept = new Set(held);
          for (const token of tokens) if (!kept.has(token)) inFlight.get(token)?.abort();
          outcome.lost += queues.drop(new Set(tokens), kept);
        },
        (error) => logger.warn(`cannot renew the leases of ${tokens.length} transfer(s): ${messageOf(error)}`),
      );
    }, Math.max(500, (settings.leaseSeconds * 1000) / 3));
    renewal.unref();

    const reporter = new ReportBatcher(async (batch) => {
      const recorded = await unitOfWork(this.dataSource, { what: `reporting ${batch.length} transfer(s)` }, async (manager) => {
        const ids = await transferRequestRepository.report(manager, batch.map((b) => b.report));
        const events: TarnEvent[] = [];
        for (const { report, transfer } of batch) {
          if (!ids.has(report.id)) continue;
          const ref = { requestId: report.id, scope: transfer.scope, name: transfer.name, destRseId: transfer.destRseId };
          events.push(
            report.ok
              ? tarnEvent('transfer.done', { ...ref, bytes: transfer.bytes })
              : tarnEvent('transfer.failed', { ...ref, error: report.error ?? 'unknown error', attempt: transfer.attempt }),
          );
        }
        await appendEvents(manager, events);
        const corrupt = batch.filter((b) => b.corruptSource && ids.has(b.report.id));
        const declared = await declareCorruptReplicas(
          manager,
          corrupt.map(({ transfer, report, corruptSource }) => ({
            scope: transfer.scope,
            name: transfer.name,
            rseId: transfer.sourceRseId,
            reason: `transfer ${report.id} read bytes that do not match the catalogue: ${corruptSource}`,
          })),
        );
        for (const d of declared) {
          logger.warn(
            `${d.scope}:${d.name} on ${d.rse} does not match the catalogue: declared ${d.state === BadReplicaState.BAD ? 'BAD (it is re-copied from another replica)' : 'SUSPICIOUS (the only copy; check it)'}`,
          );
        }
        return ids;
      });
      const lost = batch.filter((b) => !recorded.has(b.report.id));
      for (const b of batch) {
        if (!recorded.has(b.report.id)) outcome.lost++;
        else if (b.report.ok) outcome.done++;
        else outcome.failed++;
      }
      // Files written for transfers cancelled meanwhile: removed unless someone claims them again.
      const written = lost.filter((b) => b.report.ok).map((b) => ({ id: b.report.id, scope: b.transfer.scope, name: b.transfer.name, destRseId: b.transfer.destRseId }));
      await this.tool.cancel(written).catch((error) => logger.warn(`cannot remove ${written.length} file(s) of cancelled transfers: ${messageOf(error)}`));
    });

    // One refill at a time. An empty lease ends the refills of this pass unless it left out a destination that
    // has since run low; a failed one ends them.
    let refilling: Promise<void> | null = null;
    let failed = false;
    let emptyExcept: ReadonlySet<string> | null = first.length < chunk ? new Set() : null;
    const refill = () => {
      if (refilling || failed || outcome.taken >= options.limit) return;
      const except = queues.saturated();
      // Enough waits for the lanes, unless a destination runs dry or others may wait behind the saturated ones.
      if (queues.waiting >= options.concurrency && !queues.starving() && except.length === 0) return;
      if (emptyExcept && ![...emptyExcept].some((d) => !except.includes(d))) return;
      refilling = lease(Math.min(chunk, options.limit - outcome.taken), except)
        .then(
          (more) => {
            emptyExcept = more.length === 0 ? new Set(except) : null;
            outcome.taken += more.length;
            queues.push(more);
          },
          (error) => {
            failed = true;
            logger.warn(`cannot lease more transfers: ${messageOf(error)}`);
          },
        )
        .finally(() => {
          refilling = null;
        });
    };
    const lane = async (): Promise<void> => {
      for (;;) {
        refill();
        let transfer = queues.take();
        while (!transfer && refilling) {
          await refilling;
          transfer = queues.take();
        }
        if (!transfer) return;
        const controller = new AbortController();
        inFlight.set(transfer.token, controller);
        try {
          reporter.add({ transfer, ...(await this.copy(transfer, rses, controller.signal, settings.thirdPartyMinBytes, logger)) });
        } finally {
          inFlight.delete(transfer.token);
          queues.done(transfer);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
    } finally {
      clearInterval(renewal);
      await refilling;
      await reporter.drain();
    }
    return outcome;
  }

  private async copy(
    transfer: LeasedTransfer,
    rses: Map<string, TransferRse>,
    signal: AbortSignal,
    thirdPartyMinBytes: number,
    logger: Logger,
  ): Promise<Omit<PendingReport, 'transfer'>> {
    const failed = (error: string, corruptSource: string | null = null, copy: { method: string; reason: string } | null = null) => ({
      report: { id: transfer.id, token: transfer.token, ok: false, error, adler32: null, md5: null, destUrl: null, copyMethod: copy?.method ?? null, copyReason: copy?.reason ?? null },
      corruptSource,
    });
    const source = rses.get(transfer.sourceRseId);
    const destination = rses.get(transfer.destRseId);
    if (!source) return failed(`the source RSE ${transfer.sourceRseId} was deleted`);
    if (!destination) return failed(`the destination RSE ${transfer.destRseId} was deleted`);
    const readers = this.storages.readers(source);
    if (readers instanceof Error) return failed(readers.message);
    const writers = this.storages.writers(destination);
    if (writers instanceof Error) return failed(writers.message);
    const destinationPath = transferPath(destination, transfer.scope, transfer.name, null);
    try {
      const result = await copyVerified({
        scope: transfer.scope,
        name: transfer.name,
        bytes: transfer.bytes,
        adler32: transfer.adler32,
        md5: transfer.md5,
        source: { rse: source.rse, path: transferPath(source, transfer.scope, transfer.name, transfer.sourcePath), protocols: readers },
        destination: { rse: destination.rse, path: destinationPath, protocols: writers },
        signal,
        thirdPartyMinBytes,
        storageFailed: this.storages.storageFailed,
      });
      if (result.reason.includes('fell back after')) logger.warn(`${transfer.scope}:${transfer.name} to ${destination.rse}: ${result.reason}`);
      return {
        report: {
          id: transfer.id,
          token: transfer.token,
          ok: true,
          error: null,
          adler32: result.adler32,
          md5: result.md5,
          destUrl: destinationPath,
          copyMethod: result.method,
          copyReason: result.reason,
        },
        corruptSource: null,
      };
    } catch (error) {
      return failed(messageOf(error), error instanceof CorruptSource ? error.finding : null);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.storages.close();
  }
}

interface PendingReport {
  transfer: LeasedTransfer;
  report: TransferReport;
  /** The copy failed because the source's bytes do not match the catalogue: what differs. */
  corruptSource: string | null;
}

/** Collects reports while copies go on and writes them in batches, one write at a time. */
class ReportBatcher {
  private queue: PendingReport[] = [];
  private writing: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(private readonly write: (batch: PendingReport[]) => Promise<void>) {}

  add(report: PendingReport): void {
    this.queue.push(report);
    this.writing ??= this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.write(batch);
        } catch (error) {
          this.failure ??= error; // their leases expire and another pass takes them again
        }
      }
    } finally {
      this.writing = null;
    }
  }

  /** Waits for every report to be written; throws the first write's failure. */
  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }
}
