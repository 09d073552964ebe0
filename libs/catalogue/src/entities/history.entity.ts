import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, timestamp } from './columns.js';
import { ContentFacts } from './did.entity.js';
import { RuleColumns } from './rule.entity.js';

/**
 * A rule as it was at one point. History rows are written only by the catalogue's triggers on `rules` (migration
 * RuleAndContentHistoryTriggers), so every change is recorded whatever code made it, set-based.
 */
abstract class RuleSnapshot extends RuleColumns {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  historyId: number;

  /** The rule's id. */
  @Column({ type: 'uuid' })
  id: string;

  @Column(timestamp())
  createdAt: Date;

  /** When the rule took this shape (for a deletion: when it was deleted). */
  @Column(timestamp())
  updatedAt: Date;
}

/** Every state (and setting) a rule went through, by rule: Rucio's rules_hist_recent (`GET /rules/<id>/history`). */
@Entity('rules_hist_recent')
@Index('rules_hist_recent_id_idx', ['id', 'updatedAt'])
export class RuleHistoryRecent extends RuleSnapshot {}

/** One row when a rule is created, one when it is deleted, by DID: Rucio's rules_history (`GET /rules/<scope>/<name>/history`). */
@Entity('rules_history')
@Index('rules_history_did_idx', ['scope', 'name', 'updatedAt'])
export class RuleHistory extends RuleSnapshot {}

/**
 * Content that was detached (or went with its collection): Rucio's contents_history (`GET /dids/<s>/<n>/dids/history`),
 * written by the catalogue's trigger on deletions from `contents`.
 */
@Entity('contents_history')
@Index('contents_history_did_idx', ['scope', 'name'])
export class ContentHistory extends ContentFacts {
  @PrimaryColumn({ type: 'bigint', generated: 'increment', transformer: bigintNumber })
  historyId: number;

  @Column({ type: 'varchar', length: 25 })
  scope: string;

  @Column({ type: 'varchar', length: 250 })
  name: string;

  @Column({ type: 'varchar', length: 25 })
  childScope: string;

  @Column({ type: 'varchar', length: 250 })
  childName: string;

  /** When the child was attached. */
  @Column(timestamp())
  createdAt: Date;

  @Column(timestamp({ default: () => 'now()' }))
  deletedAt: Date;
}
