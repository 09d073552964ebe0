import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsDefined, IsInt, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';

const ACCOUNT_TYPE = /^(USER|GROUP|SERVICE)$/i;
const ACCOUNT_STATUS = /^(ACTIVE|SUSPENDED|DELETED)$/i;
const IDENTITY_TYPE = /^(USERPASS|X509|GSS|SSH|OIDC)$/i;

/** POST /accounts/<account> */
export class NewAccountBody {
  @ApiProperty({ enum: ['USER', 'GROUP', 'SERVICE'] })
  @IsString()
  @Matches(ACCOUNT_TYPE, { message: 'type must be USER, GROUP or SERVICE' })
  type!: string;

  @ApiPropertyOptional({ nullable: true, example: 'jdoe@example.org' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  email?: string | null;
}

/** PUT /accounts/<account>: the properties to change, as Rucio's update_account (one key or several). */
export class AccountChangesBody {
  @ApiPropertyOptional({ enum: ['ACTIVE', 'SUSPENDED', 'DELETED'] })
  @IsOptional()
  @IsString()
  @Matches(ACCOUNT_STATUS, { message: 'status must be ACTIVE, SUSPENDED or DELETED' })
  status?: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  email?: string | null;
}

/** POST /accounts/<account>/attr/<key>; the key is the one in the path. */
export class AccountAttributeBody {
  @ApiPropertyOptional({ description: 'Ignored: the key in the path is used.' })
  @IsOptional()
  @IsString()
  key?: string;

  @ApiProperty({ description: 'A string, number or boolean. `admin` = true makes the account an administrator.', example: 'true' })
  @IsDefined()
  value!: string | number | boolean;
}

/** POST /accounts/<account>/identities */
export class NewIdentityBody {
  @ApiProperty({ example: 'jdoe', description: 'Username, DN, ... depending on authtype.' })
  @IsString()
  identity!: string;

  @ApiProperty({ enum: ['USERPASS', 'X509', 'GSS', 'SSH', 'OIDC'] })
  @IsString()
  @Matches(IDENTITY_TYPE, { message: 'authtype must be USERPASS, X509, GSS, SSH or OIDC' })
  authtype!: string;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  email?: string | null;

  @ApiPropertyOptional({ nullable: true, description: 'Required for a new USERPASS identity.' })
  @IsOptional()
  @IsString()
  password?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  default?: boolean;
}

/** DELETE /accounts/<account>/identities */
export class IdentityRefBody {
  @ApiProperty()
  @IsString()
  identity!: string;

  @ApiProperty({ enum: ['USERPASS', 'X509', 'GSS', 'SSH', 'OIDC'] })
  @IsString()
  @Matches(IDENTITY_TYPE, { message: 'authtype must be USERPASS, X509, GSS, SSH or OIDC' })
  authtype!: string;
}

/** POST .../limits/...: bytes the account may lock; -1 for unlimited. */
export class AccountLimitBody {
  @ApiProperty({ example: 10_000_000_000, description: 'Bytes; -1 means unlimited.' })
  @IsInt()
  @Min(-1)
  bytes!: number;
}
