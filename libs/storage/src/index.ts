export * from './storage-protocol.js';
export * from './storage.errors.js';
export * from './storage-path.js';
export * from './posix.protocol.js';
export * from './s3.protocol.js';
export * from './webdav.protocol.js';
export * from './create-storage.js';
export * from './openid.js';
