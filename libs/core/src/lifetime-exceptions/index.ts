export * from './lifetime-exception.service.js';
export * from './lifetime-exceptions.module.js';
