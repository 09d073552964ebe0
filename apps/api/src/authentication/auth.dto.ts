import { ApiProperty } from '@nestjs/swagger';

export class TokenValidation {
  @ApiProperty({ example: 'jdoe', description: 'The account the token acts as.' })
  account!: string;

  @ApiProperty({ description: 'Whether the account is an administrator.' })
  admin!: boolean;

  @ApiProperty({ example: 'Sun, 22 Nov 2026 05:20:00 UTC', description: 'When the token expires (RFC 1123, UTC).' })
  lifetime!: string;
}
