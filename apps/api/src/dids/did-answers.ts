import { BadRequestException } from '@nestjs/common';
import type { Response } from 'express';
import type { DescribedDid, DidMetadataService, DidService, Issuer } from '@tarn/core';
import { NotFound } from '@tarn/domain';
import { didColumnsWire } from './did.wire.js';

/** Rucio (Flask) answers a creation with 201 and the plain text 'Created', which the web UI compares as text. */
export function created(res: Response): void {
  res.status(201).setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end('Created');
}

/** Rucio's metadata plugins: DID_COLUMN (the DID's columns), JSON (free metadata), ALL (both). */
export async function metadataOf(
  dids: DidService,
  metadata: DidMetadataService,
  issuer: Issuer,
  did: { scope: string; name: string },
  plugin = 'DID_COLUMN',
): Promise<Record<string, unknown>> {
  const which = metadataPlugin(plugin);
  if (which === 'JSON') return { ...(await metadata.getMetadata(issuer, did.scope, did.name)) };
  const [described] = await metadata.describeMany(issuer, [did]);
  if (!described) throw NotFound.did(did.scope, did.name);
  return metadataAnswer(described, which);
}

export type MetadataPlugin = 'DID_COLUMN' | 'JSON' | 'ALL';

/** Rucio's metadata plugin names; anything else is a 400 that names them. */
export function metadataPlugin(plugin: string): MetadataPlugin {
  const which = String(plugin).toUpperCase();
  if (which === 'DID_COLUMN' || which === 'JSON' || which === 'ALL') return which;
  throw new BadRequestException({
    exceptionClass: 'UnsupportedMetadataPlugin',
    message: `Unknown metadata plugin '${plugin}': use DID_COLUMN, JSON or ALL.`,
  });
}

/** A DID's metadata as a plugin answers it: its columns, its free metadata, or both (columns win). */
export function metadataAnswer({ did, meta }: DescribedDid, plugin: MetadataPlugin): Record<string, unknown> {
  if (plugin === 'JSON') return { ...meta };
  const columns = didColumnsWire(did, meta);
  return plugin === 'ALL' ? { ...meta, ...columns } : columns;
}

