export * from './hook.types.js';
export * from './hook.service.js';
export * from './hook-runner.js';
export * from './hook-schedule.js';
export * from './hook-spec.js';
export * from './ingest.module.js';
