import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Min } from 'class-validator';

/** PUT /rses/<rse>/limits. */
export class RseLimitDto {
  @ApiProperty({ type: String, description: 'e.g. MinFreeSpace, MaxBytes.' })
  @IsString()
  name: string;

  @ApiProperty({ type: Number, description: 'Bytes.' })
  @IsInt()
  @Min(0)
  value: number;
}

/** DELETE /rses/<rse>/limits. */
export class DeleteRseLimitDto {
  @ApiProperty({ type: String })
  @IsString()
  name: string;
}

/** PUT /rses/<rse>/usage. */
export class RseUsageDto {
  @ApiProperty({ type: String, description: "'rucio' (the catalogue's count), 'storage' (what the storage reports) or another name." })
  @IsString()
  source: string;

  @ApiProperty({ type: Number })
  @IsInt()
  @Min(0)
  used: number;

  @ApiPropertyOptional({ type: Number, nullable: true })
  @IsOptional()
  @IsInt()
  @Min(0)
  free?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Left out: the stored count is kept.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  files?: number | null;
}

/** POST/PUT /rses/<source>/distances/<destination>. `ranking` is the older name of `distance`. */
export class RseDistanceDto {
  @ApiPropertyOptional({ type: Number, description: 'Lower is better for source ranking.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  distance?: number | null;

  @ApiPropertyOptional({ type: Number, description: 'Older name of distance.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  ranking?: number | null;

  @ApiPropertyOptional({ type: Boolean, description: 'Also set the distance from destination to source.' })
  @IsOptional()
  @IsBoolean()
  bidirectional?: boolean | null;
}
