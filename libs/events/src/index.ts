export * from './topics.js';
export * from './event-types.js';
export * from './outbox.js';
