export * from './config.js';
export * from './config.module.js';
export * from './oidc-config.js';
export * from './env-number.js';
