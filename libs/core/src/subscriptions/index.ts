export * from './rule-template.js';
export * from './subscription-filter.js';
export * from './subscription.types.js';
export * from './subscription.service.js';
export * from './subscription-processor.js';
export * from './subscriptions.module.js';
