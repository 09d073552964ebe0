import { SetMetadata } from '@nestjs/common';

export const ACCESS_POLICY = 'tarn:access';

/** What a caller must own for an `owner` route, named by the path parameter or body field that designates it. */
export type OwnedThing = 'account' | 'scope' | 'scope-owner' | 'rule' | 'subscription' | 'hook';

/**
 * Who may call a route. Every route declares one (the API refuses to start otherwise), the OpenAPI document shows it,
 * and the authorization matrix test (test/api/access-matrix.e2e-spec.ts) checks it against what the route does.
 * - public: no token needed.
 * - account: any authenticated account (what it sees may still be filtered, e.g. restricted scopes).
 * - admin: administrators only (also enforced by TokenAuthGuard, before the route runs).
 * - owner: the owner of the thing (the account itself, the scope's owner or an account it granted, the rule's account...)
 *   and administrators.
 * - reader: any account that may read the scope: everyone for an open scope; for a restricted one its owner, the
 *   accounts it granted and administrators.
 * - nobody: refused to every account, administrators too (a Rucio route whose policy refuses everyone); `why` says
 *   what to do instead.
 */
export type AccessPolicy =
  | { kind: 'public' }
  | { kind: 'account' }
  | { kind: 'admin' }
  | { kind: 'owner'; of: OwnedThing }
  | { kind: 'reader'; of: 'scope' }
  | { kind: 'nobody'; why: string };

const OWNERS: Record<OwnedThing, string> = {
  account: 'the account itself',
  scope: 'accounts that may write in the scope (its owner, the accounts it granted, and members of the groups it granted)',
  'scope-owner': "the scope's owner (not the accounts it granted)",
  rule: "the rule's account",
  subscription: "the subscription's account",
  hook: "the hook's account",
};

/** One sentence for the OpenAPI document and error messages. */
export function describeAccess(policy: AccessPolicy): string {
  switch (policy.kind) {
    case 'public':
      return 'No token needed.';
    case 'account':
      return 'Any authenticated account.';
    case 'admin':
      return 'Administrators only.';
    case 'owner':
      return `${OWNERS[policy.of][0].toUpperCase()}${OWNERS[policy.of].slice(1)}, and administrators.`;
    case 'reader':
      return 'Any account that may read the scope: everyone for an open scope; for a restricted one its owner, the accounts and groups it granted (members by their OIDC groups) and administrators.';
    case 'nobody':
      return `Nobody, administrators included: ${policy.why}`;
  }
}

function declare(policy: AccessPolicy): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_POLICY, policy);
}

/** The access declaration of a route: `@Access.owner('rule')` beside `@Get(':ruleId')`. See docs/api-routes.md. */
export const Access = {
  public: () => declare({ kind: 'public' }),
  account: () => declare({ kind: 'account' }),
  admin: () => declare({ kind: 'admin' }),
  owner: (of: OwnedThing) => declare({ kind: 'owner', of }),
  reader: () => declare({ kind: 'reader', of: 'scope' }),
  nobody: (why: string) => declare({ kind: 'nobody', why }),
};
