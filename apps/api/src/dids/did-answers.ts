import { BadRequestException } from '@nestjs/common';
import type { Response } from 'express';
import type { DidMetadataService, DidService, Issuer } from '@tarn/core';
import { sendJson } from '../http/rucio-wire.js';
import { didColumnsWire } from './did.wire.js';

/** Rucio answers a creation with 201 and the text 'Created'. */
export function created(res: Response): void {
  sendJson(res, 201, 'Created');
}

/** Rucio's metadata plugins: DID_COLUMN (the DID's columns), JSON (free metadata), ALL (both). */
export async function metadataOf(
  dids: DidService,
  metadata: DidMetadataService,
  issuer: Issuer,
  did: { scope: string; name: string },
  plugin = 'DID_COLUMN',
): Promise<Record<string, unknown>> {
  const which = String(plugin).toUpperCase();
  if (which === 'DID_COLUMN') return didColumnsWire(await dids.get(issuer, did.scope, did.name));
  if (which === 'JSON') return { ...(await metadata.getMetadata(issuer, did.scope, did.name)) };
  if (which === 'ALL') {
    const columns = didColumnsWire(await dids.get(issuer, did.scope, did.name));
    return { ...(await metadata.getMetadata(issuer, did.scope, did.name)), ...columns };
  }
  throw new BadRequestException({
    exceptionClass: 'UnsupportedMetadataPlugin',
    message: `Unknown metadata plugin '${plugin}': use DID_COLUMN, JSON or ALL.`,
  });
}

