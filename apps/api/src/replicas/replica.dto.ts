import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { DidRefDto } from '../dids/did.dto.js';

export class ReplicaFileDto extends DidRefDto {
  @ApiProperty() @IsInt() @Min(0) bytes: number;
  @ApiPropertyOptional() @IsOptional() @IsString() adler32?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() md5?: string | null;
  @ApiPropertyOptional({ description: 'Full URL, needed on non-deterministic RSEs' }) @IsOptional() @IsString() pfn?: string | null;
  @ApiPropertyOptional({ description: 'Path below the protocol prefix, on non-deterministic RSEs' }) @IsOptional() @IsString() path?: string | null;
  @ApiPropertyOptional({ description: 'AVAILABLE (default), UNAVAILABLE, COPYING, TEMPORARY_UNAVAILABLE or A, U, C, T' })
  @IsOptional()
  @IsString()
  state?: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() meta?: Record<string, unknown> | null;
}

/** Rucio's add_replicas body (POST /replicas). */
export class AddReplicasDto {
  @ApiProperty({ example: 'SITE_A' }) @IsString() rse: string;
  @ApiProperty({ type: [ReplicaFileDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => ReplicaFileDto) files: ReplicaFileDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() ignore_availability?: boolean;
}

export class ReplicaStateDto extends DidRefDto {
  @ApiProperty({ description: 'AVAILABLE, UNAVAILABLE, COPYING, BEING_DELETED, TEMPORARY_UNAVAILABLE (or A, U, C, B, T)' }) @IsString() state: string;
}

/** Rucio's update_replicas_states body (PUT /replicas). */
export class UpdateReplicasDto {
  @ApiProperty() @IsString() rse: string;
  @ApiProperty({ type: [ReplicaStateDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => ReplicaStateDto) files: ReplicaStateDto[];
}

export class DeleteReplicasDto {
  @ApiProperty() @IsString() rse: string;
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) files: DidRefDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() ignore_availability?: boolean;
}

/** Rucio's list_replicas body (POST /replicas/list). */
export class ListReplicasDto {
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
  @ApiPropertyOptional({ description: "Schemes to give PFNs for: a list, or one string ('root' or 'root,davs')" }) @IsOptional() schemes?: string[] | string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() rse_expression?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() all_states?: boolean;
  @ApiPropertyOptional({ description: 'Leave out RSEs not available for reading unless true' }) @IsOptional() @IsBoolean() ignore_availability?: boolean;
  @ApiPropertyOptional({ enum: ['wan', 'lan', 'all'] }) @IsOptional() @IsIn(['wan', 'lan', 'all', null]) domain?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() resolve_archives?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() resolve_parents?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsObject() client_location?: Record<string, unknown> | null;
  @ApiPropertyOptional() @IsOptional() @IsString() sort?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) nrandom?: number | null;
  @ApiPropertyOptional() @IsOptional() signature_lifetime?: number | null;
  @ApiPropertyOptional() @IsOptional() updated_after?: string | number | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() unavailable?: boolean;
}

/** Rucio's declare_bad_file_replicas body: PFNs, or dicts {scope, name, rse | rse_id}. */
export class DeclareBadDto {
  @ApiPropertyOptional({ description: 'PFNs, or {scope, name, rse} / {scope, name, rse_id}', type: 'array', items: {} })
  @IsOptional()
  @IsArray()
  replicas?: unknown[];
  @ApiPropertyOptional({ description: 'PFNs (older clients)', type: [String] }) @IsOptional() @IsArray() @IsString({ each: true }) pfns?: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() reason?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() force?: boolean;
}

export class DeclareSuspiciousDto {
  @ApiProperty({ description: 'PFNs of the replicas a job could not read', type: [String] }) @IsArray() @IsString({ each: true }) pfns: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() reason?: string | null;
}

export class DeclareBadDidsDto {
  @ApiProperty() @IsString() rse: string;
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
  @ApiPropertyOptional() @IsOptional() @IsString() reason?: string | null;
}

/** POST /replicas/datasets_bulk. */
export class DatasetsBulkDto {
  @ApiProperty({ type: [DidRefDto], description: 'At most 1,000 collections.' }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
}

export class ReplicaRefDto extends DidRefDto {
  @ApiProperty() @IsString() rse: string;
}

/** POST /replicas/tombstone. */
export class TombstoneDto {
  @ApiProperty({ type: [ReplicaRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => ReplicaRefDto) replicas: ReplicaRefDto[];
}

/** POST /replicas/bad/pfns: Rucio's add_bad_pfns. */
export class BadPfnsDto {
  @ApiProperty({ type: [String], description: 'At most 10,000 PFNs.' }) @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) pfns: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() reason?: string | null;
  @ApiPropertyOptional({ enum: ['BAD', 'SUSPICIOUS', 'TEMPORARY_UNAVAILABLE'], description: 'Default BAD.' }) @IsOptional() @IsString() state?: string | null;
  @ApiPropertyOptional({ type: String, description: 'When a TEMPORARY_UNAVAILABLE replica becomes AVAILABLE again (ISO 8601, UTC unless it says).' })
  @IsOptional()
  @IsString()
  expires_at?: string | null;
}

/** POST /replicas/dids: Rucio's get_did_from_pfns. */
export class PfnsDto {
  @ApiProperty({ type: [String] }) @IsArray() @ArrayMaxSize(10_000) @IsString({ each: true }) pfns: string[];
  @ApiPropertyOptional({ description: 'The RSE of the PFNs (any when absent).' }) @IsOptional() @IsString() rse?: string | null;
}
