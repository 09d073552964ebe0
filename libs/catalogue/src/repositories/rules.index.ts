export * from './rule.repository.js';
export * from './lock.repository.js';
export * from './dataset-lock.repository.js';
export * from './request.repository.js';
export * from './replica.repository.js';
export * from './bad-replica.repository.js';
export * from './updated-did.repository.js';
