import type { EntityManager } from 'typeorm';
import { lockReasonRepository } from '@tarn/catalogue/repositories/lock-reason.repository.js';

/** An announced replica not written after this long is looked for on storage (configs replicas/upload_timeout_seconds). */
export const DEFAULT_UPLOAD_TIMEOUT_SECONDS = 3600;

export async function uploadTimeoutSeconds(manager: EntityManager): Promise<number> {
  return lockReasonRepository.configNumber(manager, 'replicas', 'upload_timeout_seconds', DEFAULT_UPLOAD_TIMEOUT_SECONDS);
}
