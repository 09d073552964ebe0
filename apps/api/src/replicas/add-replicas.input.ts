import { BadRequestException } from '@nestjs/common';
import type { ReplicaFileInput } from '@tarn/core';

function invalid(message: string): BadRequestException {
  return new BadRequestException({ exceptionClass: 'InvalidObject', message: `Invalid request: ${message}` });
}

const OPTIONAL_TEXT = ['adler32', 'md5', 'pfn', 'path', 'state', 'guid'] as const;

/**
 * POST /replicas, checked field by field in one pass. This is the bulk registration's hot path: class-validator
 * over 1,000 nested DTOs costs more than the registration's SQL, so the body is read here instead, with the same
 * answers (400 InvalidObject naming the field: `files.3.bytes: bytes must be a whole number >= 0`). The DTO
 * (AddReplicasDto) stays the documented shape.
 */
export function parseAddReplicas(body: unknown): { rse: string; files: ReplicaFileInput[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalid('the body must be a JSON object {rse, files}.');
  const { rse, files, ignore_availability: ignore } = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof rse !== 'string') problems.push('rse: rse must be a string');
  if (ignore !== undefined && ignore !== null && typeof ignore !== 'boolean') problems.push('ignore_availability: ignore_availability must be a boolean value');
  if (!Array.isArray(files)) problems.push('files: files must be an array');
  if (problems.length > 0) throw invalid(problems.join('; '));
  const out: ReplicaFileInput[] = new Array((files as unknown[]).length);
  (files as unknown[]).forEach((item, index) => {
    if (problems.length >= 20) return;
    const at = `files.${index}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${at}: each file must be an object {scope, name, bytes, adler32, ...}`);
      return;
    }
    const f = item as Record<string, unknown>;
    if (typeof f.scope !== 'string') problems.push(`${at}.scope: scope must be a string`);
    if (typeof f.name !== 'string') problems.push(`${at}.name: name must be a string`);
    if (typeof f.bytes !== 'number' || !Number.isSafeInteger(f.bytes) || f.bytes < 0) problems.push(`${at}.bytes: bytes must be a whole number >= 0`);
    for (const key of OPTIONAL_TEXT) {
      const value = f[key];
      if (value !== undefined && value !== null && typeof value !== 'string') problems.push(`${at}.${key}: ${key} must be a string`);
    }
    if (f.meta !== undefined && f.meta !== null && (typeof f.meta !== 'object' || Array.isArray(f.meta))) problems.push(`${at}.meta: meta must be an object`);
    out[index] = {
      scope: f.scope as string,
      name: f.name as string,
      bytes: f.bytes as number,
      adler32: (f.adler32 as string | null | undefined) ?? null,
      md5: (f.md5 as string | null | undefined) ?? null,
      pfn: (f.pfn as string | null | undefined) ?? null,
      path: (f.path as string | null | undefined) ?? null,
      state: (f.state as string | null | undefined) ?? null,
      guid: (f.guid as string | null | undefined) ?? null,
      meta: (f.meta as Record<string, unknown> | null | undefined) ?? null,
    };
  });
  if (problems.length > 0) throw invalid(problems.join('; '));
  return { rse: rse as string, files: out };
}
