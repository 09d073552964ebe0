/** Repositories of the namespace and accounts (accounts, identities, tokens, scopes, DIDs, contents, metadata). */
export * from './account.repository.js';
export * from './identity.repository.js';
export * from './token.repository.js';
export * from './scope.repository.js';
export * from './did.repository.js';
export * from './content.repository.js';
export * from './did-meta.repository.js';
