export * from './configs.service.js';
export * from './configs.module.js';
