export * from './outbox.repository.js';
export * from './heartbeat.repository.js';
export * from './trace.repository.js';
