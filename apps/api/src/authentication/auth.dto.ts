import { ApiProperty } from '@nestjs/swagger';
import { named, shape } from '../http/answers.js';

export class TokenValidation {
  @ApiProperty({ example: 'jdoe', description: 'The account the token acts as.' })
  account!: string;

  @ApiProperty({ description: 'Whether the account is an administrator.' })
  admin!: boolean;

  @ApiProperty({ example: 'Sun, 22 Nov 2026 05:20:00 UTC', description: 'When the token expires (RFC 1123, UTC).' })
  lifetime!: string;

  @ApiProperty({ enum: ['tarn', 'oidc'], description: "A token Tarn issued, or an identity provider's access token." })
  kind!: 'tarn' | 'oidc';

  @ApiProperty({ type: String, nullable: true, example: 'SUB=4f3c..., ISS=https://iam.example.org/', description: 'The OIDC identity of the token.' })
  identity!: string | null;

  @ApiProperty({ type: [String], description: "Tarn groups the token's groups claim makes the account a member of." })
  groups!: string[];
}

export const OIDC_CONFIGURATION_ANSWER = named(
  'OidcConfiguration',
  shape({
    issuers: 'string[]',
    audience: 'string',
    audience_parameter: { type: 'string', enum: ['audience', 'resource'] },
    client_id: 'string?',
    scopes: 'string',
    groups_claims: 'string[]',
    web_login: { nullable: true, ...shape({ issuer: 'string', name: 'string' }), description: "The provider of the web UI's login button (GET /auth/oidc/login)." },
  }),
);
