import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { numericText } from '../rses/request-body.js';
import { IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, Min, ValidateNested } from 'class-validator';

const DID_TYPES = ['FILE', 'DATASET', 'CONTAINER', 'F', 'D', 'C'];
/** Rucio upper-cases the type it is given: the web UI sends 'Dataset', the client 'DATASET' or 'dataset'. */
const upperCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toUpperCase() : value);

export class DidRefDto {
  @ApiProperty({ example: 'user.jdoe' }) @IsString() scope: string;
  @ApiProperty({ example: 'run4711.raw' }) @IsString() name: string;
}

/** A DID given as content: size and checksums, when given, must match the registered file. */
export class ContentDidDto extends DidRefDto {
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) bytes?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() adler32?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() md5?: string | null;
  @ApiPropertyOptional({ description: 'Free metadata of a file registered with a replica (attach with rse).' })
  @IsOptional()
  @IsObject()
  meta?: Record<string, unknown> | null;
  @ApiPropertyOptional({ description: 'PFN of the replica on a non-deterministic RSE (attach with rse).' })
  @IsOptional()
  @IsString()
  pfn?: string | null;
}

export class DidStatusesDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() monotonic?: boolean;
}

/** Rucio's add_did body (POST /dids/{scope}/{name}). */
export class AddDidDto {
  @ApiProperty({ enum: ['FILE', 'DATASET', 'CONTAINER'], description: 'Any case (Dataset, dataset), or F, D, C.' })
  @Transform(upperCase)
  @IsIn(DID_TYPES)
  type: string;
  @ApiPropertyOptional({ type: DidStatusesDto }) @IsOptional() @ValidateNested() @Type(() => DidStatusesDto) statuses?: DidStatusesDto;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject() meta?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Replication rules to create on the new DID (Rucio rule dicts).', type: 'array', items: { type: 'object' } })
  @IsOptional()
  @IsArray()
  @IsObject({ each: true })
  rules?: Record<string, unknown>[];
  @ApiPropertyOptional({ description: 'Seconds until the DID expires.' }) @IsOptional() @IsInt() @Min(1) lifetime?: number | null;
  @ApiPropertyOptional({ type: String, description: "Tarn's own: the DID expires at this time (ISO 8601 or RFC 1123), instead of a lifetime." })
  @IsOptional()
  @IsString()
  expired_at?: string | null;
  @ApiPropertyOptional({ type: [ContentDidDto], description: 'Content of the new collection.' })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ContentDidDto)
  dids?: ContentDidDto[];
  @ApiPropertyOptional({ description: 'RSE on which the given files have replicas (registered with them).' }) @IsOptional() @IsString() rse?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) bytes?: number | null;
  @ApiPropertyOptional() @IsOptional() @IsString() adler32?: string | null;
  @ApiPropertyOptional() @IsOptional() @IsString() md5?: string | null;
}

/** One entry of Rucio's add_dids body (POST /dids). */
export class BulkDidDto extends AddDidDto {
  @ApiProperty() @IsString() scope: string;
  @ApiProperty() @IsString() name: string;
  @ApiPropertyOptional({ description: 'Owner (administrators only).' }) @IsOptional() @IsString() account?: string;
}

export class AttachDto {
  @ApiProperty({ type: [ContentDidDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => ContentDidDto) dids: ContentDidDto[];
  @ApiPropertyOptional() @IsOptional() @IsString() rse?: string | null;
}

export class DetachDto {
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
}

export class AttachmentDto extends DidRefDto {
  @ApiProperty({ type: [ContentDidDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => ContentDidDto) dids: ContentDidDto[];
  @ApiPropertyOptional() @IsOptional() @IsString() rse?: string | null;
}

/** POST /dids/attachments: {attachments, ignore_duplicate} (or, from old clients, the list of attachments alone). */
export class AttachmentsDto {
  @ApiProperty({ type: [AttachmentDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => AttachmentDto) attachments: AttachmentDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() ignore_duplicate?: boolean;
}

export class DidStatusDto {
  @ApiProperty({ description: 'false closes the collection; true reopens it (administrators).' }) @IsBoolean() open: boolean;
}

export class SetMetaDto {
  @ApiProperty({ description: 'Any JSON value.' }) value: unknown;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() recursive?: boolean;
}

export class SetMetaBulkDto {
  @ApiProperty({ type: 'object', additionalProperties: true }) @IsObject() meta: Record<string, unknown>;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() recursive?: boolean;
}

export class DidMetaDto extends DidRefDto {
  @ApiProperty({ type: 'object', additionalProperties: true }) @IsObject() meta: Record<string, unknown>;
}

export class DidsMetaBulkDto {
  @ApiProperty({ type: [DidMetaDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidMetaDto) dids: DidMetaDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() recursive?: boolean;
}

export class BulkMetaDto {
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() inherit?: boolean;
  @ApiPropertyOptional({ enum: ['DID_COLUMN', 'JSON', 'ALL'] }) @IsOptional() @IsString() plugin?: string;
}

/** POST /dids/sample: Rucio's create_did_sample. */
export class DidSampleDto {
  @ApiProperty() @IsString() input_scope: string;
  @ApiProperty() @IsString() input_name: string;
  @ApiProperty() @IsString() output_scope: string;
  @ApiProperty() @IsString() output_name: string;
  @ApiProperty({ description: 'How many files to pick at random (1 to 100,000); the stock client sends it as text.' })
  @Transform(numericText)
  @IsInt()
  nbfiles: number;
}

export class BulkFilesDto {
  @ApiProperty({ type: [DidRefDto] }) @IsArray() @ValidateNested({ each: true }) @Type(() => DidRefDto) dids: DidRefDto[];
}
