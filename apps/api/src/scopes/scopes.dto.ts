import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

/** PUT /scopes/<scope>/restricted */
export class ScopeRestrictionBody {
  @ApiProperty({ description: 'true: only the owner, accounts granted access and administrators may read the scope (embargo).' })
  @IsBoolean()
  restricted!: boolean;
}

export class ScopeAnswer {
  @ApiProperty({ example: 'user.jdoe' })
  scope!: string;

  @ApiProperty({ example: 'jdoe' })
  account!: string;

  @ApiProperty()
  restricted!: boolean;

  @ApiProperty()
  is_default!: boolean;

  @ApiProperty()
  closed!: boolean;

  @ApiProperty({ example: '2026-11-22T04:20:00' })
  created_at!: string;
}
