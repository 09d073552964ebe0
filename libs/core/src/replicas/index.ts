export * from './replica.types.js';
export * from './replica-input.js';
export * from './replica-paths.js';
export * from './mark-replicas-available.js';
export * from './replica.service.js';
export * from './replicas.module.js';
export * from './replica-registrar.service.js';
export * from './replica-storage-check.js';
