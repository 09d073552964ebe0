/** Who is asking: the account a request or daemon acts as. Resolved once per request from its token. */
export interface Issuer {
  account: string;
  admin: boolean;
  /**
   * GROUP accounts the request acts as a member of: from the groups claim of an OIDC token, mapped by the groups'
   * `oidc_group` attribute. A member may do in a scope what a grant to the group allows.
   */
  groups?: readonly string[];
}

/** Daemons act as the root account, with admin rights. */
export const ROOT_ISSUER: Issuer = { account: 'root', admin: true };
