export * from './rule.types.js';
export * from './rule-input.js';
export * from './rule-evaluator.js';
export * from './rule-creator.js';
export * from './rule-progress.js';
export * from './rule-release.js';
export * from './rule.service.js';
export * from './rules.module.js';
