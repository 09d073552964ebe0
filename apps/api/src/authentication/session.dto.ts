import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { named, shape } from '../http/answers.js';

/** POST /auth/session: a userpass login for the web UI. */
export class SessionLoginBody {
  @ApiPropertyOptional({ example: 'jdoe', description: 'The userpass identity; the account name when not given.' })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  username?: string;

  @ApiPropertyOptional({
    example: 'jdoe',
    description: 'The account to act as. Without it the username logs in to its only account, or the answer is 206 with the accounts it may act as.',
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  account?: string;

  @ApiProperty({ example: 's3cret', description: 'Its password.' })
  @IsString()
  @Length(1, 1024)
  password!: string;
}

export const SESSION_ANSWER = named(
  'BrowserSession',
  shape({
    account: 'string',
    admin: 'boolean',
    expires_at: 'date',
    csrf_token: { type: 'string', description: 'Send it as the X-Tarn-CSRF header with every request that changes something.' },
  }),
);

export const SESSION_ACCOUNTS_ANSWER = named('SessionAccountChoice', shape({ accounts: 'string[]' }));

export const SESSION_LOGOUT_ANSWER = named(
  'SessionLogout',
  shape({
    end_session_url: {
      type: 'string',
      nullable: true,
      description: "For a session opened through the identity provider: the provider's logout page (it comes back to /ui/); else null.",
    },
  }),
);
