export * from './daemon.types.js';
export * from './daemon.runner.js';
export * from './daemon.metrics.js';
export * from './heartbeat.service.js';
export * from './daemon-http.server.js';
export * from './daemon.process.js';
export * from './work-sharing.js';
export * from './daemon.module.js';
