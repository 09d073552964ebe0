export * from './rse.repository.js';
export * from './rse-attribute.repository.js';
export * from './rse-protocol.repository.js';
export * from './rse-limit.repository.js';
export * from './rse-usage.repository.js';
export * from './distance.repository.js';
export * from './account-limit.repository.js';
export * from './account-usage.repository.js';
