export * from './scope.service.js';
export * from './scopes.module.js';
