import type { Response } from 'express';
import type { AccountView, IdentityView } from '@tarn/core';
import { listOf, mapOf, named, shape } from '../http/answers.js';
import { JSON_TYPE, NDJSON_TYPE } from '../http/rucio-wire.js';

/** Rucio's account dates: `%Y-%m-%dT%H:%M:%S` in UTC, no fraction, no zone. */
export function rucioDateTime(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  return new Date(date).toISOString().slice(0, 19);
}

/** GET /accounts/<account>, as Rucio's account.to_dict(). */
export function accountInfo(view: AccountView): Record<string, unknown> {
  return {
    account: view.account,
    account_type: view.type,
    status: view.status,
    email: view.email,
    suspended_at: rucioDateTime(view.suspendedAt),
    deleted_at: rucioDateTime(view.deletedAt),
    created_at: rucioDateTime(view.createdAt),
    updated_at: rucioDateTime(view.updatedAt),
  };
}

/** One line of GET /accounts/, as Rucio's list_accounts. */
export function accountListEntry(view: AccountView): Record<string, unknown> {
  return { account: view.account, type: view.type, email: view.email };
}

/** One line of GET /accounts/<account>/identities, as Rucio's list_identities. */
export function identityEntry(view: IdentityView): Record<string, unknown> {
  return { type: view.type, identity: view.identity, email: view.email };
}

const SENTINEL = '\u0000Infinity\u0000';
const SENTINEL_JSON = JSON.stringify(SENTINEL);

/**
 * JSON as Rucio (Python's json) writes it: an unlimited quota is the bare token `Infinity`, which Python's
 * json reads back as float('inf'); the stock client's size formatting and quota arithmetic depend on it.
 * JSON.stringify would write null there.
 */
export function rucioJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v === Infinity ? SENTINEL : v)).replaceAll(SENTINEL_JSON, 'Infinity');
}

export function sendRucioJson(res: Response, status: number, body: unknown): void {
  res.status(status).setHeader('Content-Type', JSON_TYPE);
  res.end(rucioJsonText(body));
}

/** A short listing (a few rows per account) as NDJSON, with Rucio's Infinity. */
export function sendRucioNdjson(res: Response, rows: readonly unknown[]): void {
  res.status(200).setHeader('Content-Type', NDJSON_TYPE);
  res.end(rows.map((row) => `${rucioJsonText(row)}\n`).join(''));
}

/** The async iterable streamNdjson takes, over rows already in memory. */
export async function* fromArray<T>(rows: readonly T[]): AsyncIterable<T> {
  yield* rows;
}

const INFINITY_NOTE = 'An unlimited quota is written as the bare JSON token Infinity, as Rucio (Python json) writes it.';

export const ACCOUNT_LINE = named('AccountEntry', shape({ account: 'string', type: 'string', email: 'string?' }));
export const ACCOUNT_ANSWER = named(
  'Account',
  shape({ account: 'string', account_type: 'string', status: 'string', email: 'string?', suspended_at: 'string?', deleted_at: 'string?', created_at: 'string', updated_at: 'string' }),
);
export const ACCOUNT_ATTRIBUTES_ANSWER = named('AccountAttributes', listOf(shape({ key: 'string', value: 'any' })));
export const IDENTITY_LINE = named('IdentityEntry', shape({ type: 'string', identity: 'string', email: 'string?' }));
export const LIMITS_ANSWER = named('AccountLimits', mapOf('number?', `Bytes by RSE or RSE expression. ${INFINITY_NOTE}`));
export const GLOBAL_LIMITS_ANSWER = named(
  'AccountExpressionLimits',
  mapOf(shape({ resolved_rses: 'string[]', resolved_rse_ids: 'string[]', limit: 'number?' }), `By RSE expression. ${INFINITY_NOTE}`),
);
export const LOCAL_USAGE_LINE = named(
  'AccountRseUsage',
  shape(
    { rse_id: 'string', rse: 'string', files: 'integer', bytes: 'integer', bytes_limit: 'number', bytes_remaining: 'number' },
    `bytes_limit is 0 where no limit is set on the RSE, as Rucio answers. ${INFINITY_NOTE}`,
  ),
);
export const GLOBAL_USAGE_LINE = named(
  'AccountExpressionUsage',
  shape({ rse_expression: 'string', files: 'integer', bytes: 'integer', bytes_limit: 'number', bytes_remaining: 'number' }, INFINITY_NOTE),
);
