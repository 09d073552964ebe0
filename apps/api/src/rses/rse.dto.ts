import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDefined, IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { booleanText, numericText } from './request-body.js';

const RSE_TYPES = ['DISK', 'TAPE', 'disk', 'tape'];

/**
 * An RSE's properties as Rucio's add_rse / update_rse take them. The stock client sends booleans as JSON
 * booleans when adding, and (rucio-admin rse update) numbers as text when updating: both are accepted.
 */
export class RsePropertiesDto {
  @ApiPropertyOptional({ type: Boolean, description: 'Paths are computed from the DID (default true).' })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  deterministic?: boolean | null;

  @ApiPropertyOptional({ type: Boolean, description: 'A cache: replicas may disappear (default false).' })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  volatile?: boolean | null;

  @ApiPropertyOptional({ type: Boolean, description: 'A staging area (default false).' })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  staging_area?: boolean | null;

  @ApiPropertyOptional({ enum: ['DISK', 'TAPE'], description: 'Default DISK.' })
  @IsOptional()
  @IsIn(RSE_TYPES)
  rse_type?: string | null;

  @ApiPropertyOptional({ type: String, description: "QoS class, e.g. SAFE, FAST, CHEAP-ANALYSIS; '', 'none' or 'null' clears it." })
  @IsOptional()
  @IsString()
  qos_class?: string | null;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  availability_read?: boolean | null;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  availability_write?: boolean | null;

  @ApiPropertyOptional({ type: Boolean })
  @IsOptional()
  @Transform(booleanText)
  @IsBoolean()
  availability_delete?: boolean | null;

  @ApiPropertyOptional({ type: Number, description: 'Read 4 + write 2 + delete 1; overrides the three flags.' })
  @IsOptional()
  @Transform(numericText)
  @IsInt()
  @Min(0)
  @Max(7)
  availability?: number | null;

  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() city?: string | null;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() region_code?: string | null;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() country_name?: string | null;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() continent?: string | null;
  @ApiPropertyOptional({ type: String }) @IsOptional() @IsString() time_zone?: string | null;

  @ApiPropertyOptional({ type: Number })
  @IsOptional()
  @Transform(numericText)
  @IsNumber()
  latitude?: number | null;

  @ApiPropertyOptional({ type: Number })
  @IsOptional()
  @Transform(numericText)
  @IsNumber()
  longitude?: number | null;

  @ApiPropertyOptional({ type: String, description: 'Accepted for Rucio compatibility; Tarn does not keep it.' })
  @IsOptional()
  ISP?: unknown;

  @ApiPropertyOptional({ type: String, description: 'Accepted for Rucio compatibility; Tarn does not keep it.' })
  @IsOptional()
  ASN?: unknown;
}

/** POST /rses/<rse>. */
export class AddRseDto extends RsePropertiesDto {}

/** PUT /rses/<rse>: the properties to change; `name` renames the RSE. */
export class UpdateRseDto extends RsePropertiesDto {
  @ApiPropertyOptional({ type: String, description: 'New name of the RSE.' })
  @IsOptional()
  @IsString()
  name?: string | null;
}

export const RSE_PROPERTY_KEYS = [
  'deterministic',
  'volatile',
  'staging_area',
  'rse_type',
  'qos_class',
  'availability_read',
  'availability_write',
  'availability_delete',
  'availability',
  'city',
  'region_code',
  'country_name',
  'continent',
  'time_zone',
  'latitude',
  'longitude',
  'ISP',
  'ASN',
] as const;

/** POST /rses/<rse>/attr/<key>. */
export class RseAttributeDto {
  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], description: 'The value; "true"/"false" become booleans.' })
  @IsDefined()
  value: unknown;
}
