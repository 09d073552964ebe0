export * from './overview.module.js';
export * from './overview.service.js';
export * from './overview.types.js';
export * from './catalogue.metrics.js';
