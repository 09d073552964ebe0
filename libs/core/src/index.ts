export * from './auth/index.js';
export * from './accounts/index.js';
export * from './scopes/index.js';
export * from './dids/index.js';
export * from './rses/index.js';
