export * from './account.types.js';
export * from './account.service.js';
export * from './identity.service.js';
export * from './authentication.service.js';
export * from './accounts.module.js';
export { hashPassword, verifyPassword } from './password-hash.js';
