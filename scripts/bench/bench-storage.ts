/** Storage for the benches: the RSE protocol of a test storage area, and the repository's S3 server. */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { TestStorageArea } from '@tarn/testing/storage.js';
import { repositoryRoot } from './bench-run.js';

/** Starts scripts/services/s3.sh (idempotent) unless TARN_TEST_S3_ENDPOINT names another server. */
export function startBenchS3(): void {
  if (!process.env.TARN_TEST_S3_ENDPOINT) execFileSync('bash', [path.join(repositoryRoot(), 'scripts/services/s3.sh'), 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** An RSE protocol (every operation, WAN and LAN) reaching a test storage area through `impl`. */
export function benchProtocol(area: TestStorageArea, impl: string) {
  const p = area.protocol;
  return {
    scheme: p.scheme,
    hostname: p.hostname,
    port: p.port ?? 0,
    prefix: p.prefix,
    impl,
    domains: { wan: { read: 1, write: 1, delete: 1, third_party_copy_read: 1, third_party_copy_write: 1 }, lan: { read: 1, write: 1, delete: 1 } },
    extendedAttributes: p.extendedAttributes ?? null,
  };
}
