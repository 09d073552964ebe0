import { BadRequestException } from '@nestjs/common';
import type { NewDid } from '@tarn/core';
import type { ReplicaFileInput } from '@tarn/core';
import type { RuleSpec } from '@tarn/core';
import type { AddRulesDto } from '../rules/rule.dto.js';
import { ruleSpec } from '../rules/rule.wire.js';
import type { AddDidDto, ContentDidDto } from './did.dto.js';

/** A request Tarn does not carry out (yet): 400 with Rucio's UnsupportedOperation, never a silent no-op. */
export function unsupported(message: string): BadRequestException {
  return new BadRequestException({ exceptionClass: 'UnsupportedOperation', message });
}

/** Rucio's add_did / add_dids entry as the DID service takes it. */
export function newDidOf(scope: string, name: string, body: AddDidDto, account?: string): NewDid {
  return {
    scope,
    name,
    type: body.type,
    ...(account !== undefined ? { account } : {}),
    bytes: body.bytes ?? null,
    adler32: body.adler32 ?? null,
    md5: body.md5 ?? null,
    lifetime: body.lifetime ?? null,
    expiresAt: body.expired_at ?? null,
    meta: body.meta ?? null,
    monotonic: body.statuses?.monotonic === true,
    children: (body.dids ?? []).map((d) => ({ scope: d.scope, name: d.name, bytes: d.bytes ?? null, adler32: d.adler32 ?? null, md5: d.md5 ?? null })),
  };
}

/** Files given with an RSE (add_did/attach_dids with rse): their replicas are registered there, files created if new. */
export function replicaFilesOf(dids: ContentDidDto[]): ReplicaFileInput[] {
  return dids.map((d) => ({ scope: d.scope, name: d.name, bytes: d.bytes as number, adler32: d.adler32 ?? null, md5: d.md5 ?? null, pfn: d.pfn ?? null }));
}

/** A Rucio rule dict given with a new DID (add_did's `rules`), read as POST /rules reads it, on that DID. */
export function ruleSpecOf(rule: Record<string, unknown>, did: { scope: string; name: string }): RuleSpec {
  return ruleSpec({ ...rule, dids: [did] } as Partial<AddRulesDto>);
}
