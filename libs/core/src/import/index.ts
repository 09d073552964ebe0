export * from './catalogue-import.types.js';
export * from './catalogue-import.service.js';
export * from './catalogue-import.module.js';
