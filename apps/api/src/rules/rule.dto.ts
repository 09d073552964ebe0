import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';

export class DidDto {
  @ApiProperty({ type: String })
  @IsString()
  scope: string;

  @ApiProperty({ type: String })
  @IsString()
  name: string;
}

const GROUPINGS = ['ALL', 'DATASET', 'NONE', 'A', 'D', 'N'];
const NOTIFICATIONS = ['Y', 'N', 'C', 'P', 'YES', 'NO', 'CLOSE', 'PROGRESS'];

/** POST /rules/: Rucio's add_replication_rule; one rule per DID. null means "not given" everywhere. */
export class AddRulesDto {
  @ApiProperty({ type: [DidDto] })
  @IsArray()
  @ArrayNotEmpty()
  @ValidateNested({ each: true })
  @Type(() => DidDto)
  dids: DidDto[];

  @ApiProperty({ type: Number, description: 'At least 1.' })
  @IsInt()
  copies: number;

  @ApiProperty({ type: String, description: 'e.g. "QOS=SAFE", "SITE_A|SITE_B".' })
  @IsString()
  rse_expression: string;

  @ApiPropertyOptional({ type: String, description: 'Name of a numeric RSE attribute used as selection weight.' })
  @IsOptional()
  @IsString()
  weight?: string | null;

  @ApiPropertyOptional({ type: Number, description: 'Seconds; none: the rule never expires.' })
  @IsOptional()
  @IsInt()
  lifetime?: number | null;

  @ApiPropertyOptional({ type: String, description: "Tarn's own: the rule expires at this time (ISO 8601 or RFC 1123), instead of a lifetime." })
  @IsOptional()
  @IsString()
  expires_at?: string | null;

  @ApiPropertyOptional({ enum: ['ALL', 'DATASET', 'NONE'], description: 'Default DATASET.' })
  @IsOptional()
  @IsIn(GROUPINGS)
  grouping?: string | null;

  @ApiPropertyOptional({ type: String, description: 'Owner of the rule (administrators may name another account).' })
  @IsOptional()
  @IsString()
  account?: string | null;

  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() locked?: boolean | null;

  @ApiPropertyOptional({ type: String, description: 'Only copy from replicas on these RSEs.' })
  @IsOptional()
  @IsString()
  source_replica_expression?: string | null;

  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() activity?: string | null;

  @ApiPropertyOptional({ enum: ['Y', 'N', 'C', 'P'], description: 'Notification: Yes, No (default), Close, Progress.' })
  @IsOptional()
  @IsIn(NOTIFICATIONS)
  notify?: string | null;

  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() purge_replicas?: boolean | null;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() ignore_availability?: boolean | null;
  @ApiPropertyOptional({ type: Boolean, description: 'Administrators only.' }) @IsOptional() @IsBoolean() ignore_account_limit?: boolean | null;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() comment?: string | null;
  @ApiPropertyOptional({ type: String, description: "Taken as the comment when `comment` is not given (Rucio's web UI sends it)." })
  @IsOptional()
  @IsString()
  comments?: string | null;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() ask_approval?: boolean | null;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() asynchronous?: boolean | null;

  @ApiPropertyOptional({ type: Number, description: 'Implies asynchronous (Tarn evaluates the rule with the injector).' })
  @IsOptional()
  @IsInt()
  delay_injection?: number | null;

  @ApiPropertyOptional({ type: Number, description: '1 (lowest) to 5 (highest); default 3.' })
  @IsOptional()
  @IsInt()
  priority?: number | null;

  @ApiPropertyOptional({ type: Boolean, description: 'Not supported by Tarn: only false.' })
  @IsOptional()
  @IsBoolean()
  split_container?: boolean | null;

  @ApiPropertyOptional({ type: Object, description: 'Free JSON object (or its JSON text, as Rucio sends it).' })
  @IsOptional()
  meta?: Record<string, unknown> | string | null;

  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() subscription_id?: string | null;
}

/** PUT /rules/<id>: {options: {...}}, Rucio's update_replication_rule (and approve/deny with options.approve). */
export class UpdateRuleDto {
  @ApiProperty({
    type: Object,
    description:
      'Any of lifetime (seconds, null: never expires), expires_at (Tarn: an absolute time instead, ISO 8601 or RFC 1123), locked, comment, activity, priority, account (administrators), ' +
      'state (STUCK: its replicating locks become stuck for the repairer, with cancel_requests its queued transfers go; ' +
      'SUSPENDED; REPLICATING/OK resume a suspended rule), source_replica_expression, purge_replicas, meta, ' +
      'child_rule_id (link or, with null, unlink the rule it was moved to), boost_rule (administrators: the repairer and ' +
      'the transfers of the rule go now, without waiting for their back-off); ' +
      'approve: true approves, false denies (with comment as the reason).',
  })
  @IsObject()
  options: Record<string, unknown>;
}

export const RULE_OPTION_KEYS = [
  'lifetime', 'expires_at', 'locked', 'comment', 'activity', 'priority', 'account', 'state', 'source_replica_expression', 'purge_replicas',
  'meta', 'approve', 'cancel_requests', 'boost_rule', 'child_rule_id',
] as const;

/** DELETE /rules/<id>. */
export class DeleteRuleDto {
  @ApiPropertyOptional({ type: Boolean, description: "Overrides the rule's purge_replicas for this deletion." })
  @IsOptional()
  @IsBoolean()
  purge_replicas?: boolean | null;
}

/** POST /rules/<id>/move. */
export class MoveRuleDto {
  @ApiProperty({ type: String, description: 'Where the child rule places the copies.' })
  @IsString()
  rse_expression: string;

  @ApiPropertyOptional({ type: String, description: 'Repeats the id of the path.' })
  @IsOptional()
  @IsString()
  rule_id?: string | null;

  @ApiPropertyOptional({
    type: Object,
    description: 'Options of the child that differ from the parent: copies, grouping, weight, lifetime, activity, source_replica_expression, comment, purge_replicas, meta.',
  })
  @IsOptional()
  @IsObject()
  override?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: String, description: 'Older clients: as override.activity.' })
  @IsOptional()
  @IsString()
  activity?: string | null;

  @ApiPropertyOptional({ type: String, description: 'Older clients: as override.source_replica_expression.' })
  @IsOptional()
  @IsString()
  source_replica_expression?: string | null;
}

export const MOVE_OVERRIDE_KEYS = [
  'copies', 'grouping', 'weight', 'lifetime', 'activity', 'source_replica_expression', 'comment', 'purge_replicas', 'meta',
] as const;

/** POST /locks/bulk_locks_for_dids. */
export class LocksForDidsDto {
  @ApiProperty({ type: [DidDto], description: 'At most 1,000; a container stands for the datasets below it.' })
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => DidDto)
  dids: DidDto[];
}
