export * from './issuer.js';
export * from './permissions.js';
export * from './auth.module.js';
export * from './oidc-token-verifier.js';
