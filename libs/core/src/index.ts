export * from './auth/index.js';
export * from './accounts/index.js';
export * from './scopes/index.js';
export * from './dids/index.js';
export * from './rses/index.js';
export * from './rules/index.js';
export * from './replicas/index.js';
export * from './configs/index.js';
