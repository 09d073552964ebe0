export * from './issuer.js';
export * from './permissions.js';
export * from './auth.module.js';
