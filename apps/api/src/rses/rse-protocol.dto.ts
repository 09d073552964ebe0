import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';
import { numericText } from './request-body.js';

/**
 * A protocol as Rucio's add_protocol / update_protocols take it. Priorities go in `domains`:
 * {"lan": {"read": 1, ...}, "wan": {"read": 1, "write": 1, "delete": 1, "third_party_copy_read": 1, "third_party_copy_write": 1}}.
 */
export class RseProtocolDto {
  @ApiPropertyOptional({ type: String, description: 'Taken from the path when adding.' })
  @IsOptional()
  @IsString()
  scheme?: string | null;

  @ApiPropertyOptional({ type: String, description: "Default 'localhost'." })
  @IsOptional()
  @IsString()
  hostname?: string | null;

  @ApiPropertyOptional({ type: Number, description: 'Default 0.' })
  @IsOptional()
  @Transform(numericText)
  @IsInt()
  @Min(0)
  @Max(65535)
  port?: number | null;

  @ApiPropertyOptional({ type: String, description: "Path prefix, e.g. '/data/rucio/'." })
  @IsOptional()
  @IsString()
  prefix?: string | null;

  @ApiPropertyOptional({ type: String, description: "The client's implementation, e.g. 'rucio.rse.protocols.posix.Default'. Required when adding." })
  @IsOptional()
  @IsString()
  impl?: string | null;

  @ApiPropertyOptional({ type: Object, description: 'Priorities per domain (lan, wan) and operation; 0 = not offered, 1 = preferred.' })
  @IsOptional()
  @IsObject()
  domains?: Record<string, unknown> | null;

  @ApiPropertyOptional({ type: Object, nullable: true, description: 'e.g. {"web_service_path": "/srm/managerv2?SFN="} for srm.' })
  @IsOptional()
  @IsObject()
  extended_attributes?: Record<string, unknown> | null;
}

export const PROTOCOL_KEYS = ['scheme', 'hostname', 'port', 'prefix', 'impl', 'domains', 'extended_attributes'] as const;
