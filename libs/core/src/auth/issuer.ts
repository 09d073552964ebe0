/** Who is asking: the account a request or daemon acts as. Resolved once per request from its token. */
export interface Issuer {
  account: string;
  admin: boolean;
}

/** Daemons act as the root account, with admin rights. */
export const ROOT_ISSUER: Issuer = { account: 'root', admin: true };
