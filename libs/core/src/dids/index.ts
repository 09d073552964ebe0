export * from './did.types.js';
export * from './did.service.js';
export * from './did-metadata.service.js';
export * from './did-lifecycle.service.js';
export * from './dids.module.js';
export * from './row-stream.js';
export { parseDidFilters, parseFilterString, didTypesOf, typecastFilterValue, type DidFilterInput } from './did-filter.js';
export { didTypeName, parseDidType } from './did-validation.js';
export { EVENT_CHILDREN_CHUNK } from './did-attachment.js';
