import type { DaemonContext, DaemonDefinition, PassResult } from '@tarn/daemon';
import { EventWake } from '@tarn/daemon';
import { type EventBus, type Logger, silentLogger, TOPICS } from '@tarn/events';
import type { ReplicaRegistrarService } from '@tarn/core/replicas/replica-registrar.service.js';

export const REPLICA_REGISTRAR = 'replica-registrar';

export interface ReplicaRegistrarSettings {
  /** Sweep interval when no event wakes it (TARN_REPLICA_REGISTRAR_INTERVAL_SECONDS, default 30). */
  intervalMs: number;
  /** Replicas checked per batch (TARN_REPLICA_REGISTRAR_BATCH_SIZE, default 1,000) and bad replicas recovered per pass (same). */
  batchSize: number;
  /** Storage operations at once (TARN_REPLICA_REGISTRAR_CONCURRENCY, default 32). */
  concurrency: number;
  /** A check taken by an instance that dies is due again after this long (TARN_REPLICA_REGISTRAR_LEASE_SECONDS, default 600). */
  leaseSeconds: number;
}

/**
 * The replica-registrar: announced replicas (uploads, registrations, state AVAILABLE) become AVAILABLE once their
 * size and checksum are verified on the storage, or BAD with the reason; replicas an upload announced and did not
 * write within its timeout are looked for on storage (BAD when missing and a rule needs them, else dropped); bad replicas are re-copied from another
 * replica (a queued transfer) or, with no copy left, their locks become STUCK ("lost"); replicas declared temporarily
 * unavailable become AVAILABLE again when their time is over. Woken by replica.announced
 * and replica.bad events, sweeping every `intervalMs`; instances share the work (SKIP LOCKED, leases). A pass goes on
 * batch after batch (pipelined) while full batches come, and the next pass follows at once while work remains.
 */
export class ReplicaRegistrarWorker implements DaemonDefinition {
  readonly name = REPLICA_REGISTRAR;
  readonly intervalMs: number;
  readonly eventWake: EventWake;

  constructor(
    private readonly service: ReplicaRegistrarService,
    bus: EventBus | null,
    private readonly settings: ReplicaRegistrarSettings,
    logger: Logger = silentLogger,
  ) {
    this.intervalMs = settings.intervalMs;
    this.eventWake = new EventWake(bus, { group: REPLICA_REGISTRAR, topics: [TOPICS.replica], types: ['replica.announced', 'replica.bad'] }, logger);
  }

  async runOnce(ctx: DaemonContext): Promise<PassResult> {
    const { batchSize, concurrency, leaseSeconds } = this.settings;
    const verified = await this.service.verifyWhileDue({ batchSize, concurrency, leaseSeconds, signal: ctx.signal });
    for (const p of verified.problems.slice(0, 20)) {
      if (p.verdict === 'bad') ctx.logger.warn(`${p.did} on RSE ${p.rseId} is BAD: ${p.reason}`);
      else if (p.verdict === 'drop') ctx.logger.warn(`${p.did} on RSE ${p.rseId} was dropped (no rule needs it): ${p.reason}`);
      else ctx.logger.warn(`${p.did} on RSE ${p.rseId} could not be verified yet (retried later): ${p.reason}`);
    }
    if (verified.checked > 0) {
      ctx.logger.log(
        `verified ${verified.checked} replica(s): ${verified.available} AVAILABLE, ${verified.bad} BAD, ${verified.dropped} never written (dropped), ${verified.postponed} postponed`,
      );
    }
    const recovered = await this.service.recoverBad(this.settings.batchSize);
    if (recovered.requeued + recovered.lost > 0) {
      ctx.logger.log(`bad replicas: ${recovered.requeued} queued for a re-copy, ${recovered.lost} lost (no other replica; their locks are STUCK)`);
    }
    const restored = await this.service.restoreTemporarilyUnavailable(this.settings.batchSize);
    if (restored > 0) ctx.logger.log(`${restored} replica(s) AVAILABLE again: their temporary unavailability is over`);
    const full = verified.more || recovered.requeued + recovered.lost === this.settings.batchSize || restored === this.settings.batchSize;
    return {
      didWork: full,
      items: verified.checked + recovered.requeued + recovered.lost + restored,
      failedItems: 0,
    };
  }
}
