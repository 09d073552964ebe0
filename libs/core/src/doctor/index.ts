export * from './doctor.types.js';
export * from './daemon-findings.js';
export * from './doctor.service.js';
export * from './doctor.module.js';
