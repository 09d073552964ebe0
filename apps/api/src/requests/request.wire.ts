import { DidType, RequestState, RequestType } from '@tarn/domain';
import type { RequestRecord } from '@tarn/catalogue/repositories/request.repository.js';
import { named, shape } from '../http/answers.js';
import { codeName as nameOf, rfc1123 } from '../http/rucio-wire.js';

export const REQUEST_ANSWER = named(
  'Request',
  shape({
    id: 'string', request_type: 'string', scope: 'string', name: 'string', did_type: 'string', dest_rse_id: 'string', dest_rse: 'string',
    source_rse_id: 'string?', source_rse: 'string?', state: 'string', external_id: 'string?', external_host: 'string?', retry_count: 'integer',
    err_msg: 'string?', previous_attempt_id: 'string?', rule_id: 'string?', activity: 'string', bytes: 'integer?', md5: 'string?', adler32: 'string?',
    dest_url: 'string?', submitted_at: 'date?', started_at: 'date?', transferred_at: 'date?', account: 'string?', requested_at: 'date',
    priority: 'integer', transfertool: 'string?', created_at: 'date', updated_at: 'date',
  }),
);

/** A request as Rucio's request dictionary: snake_case, enums by name, dates RFC 1123, with its RSEs' names. */
export function requestToWire(r: RequestRecord): Record<string, unknown> {
  return {
    id: r.id, request_type: nameOf(RequestType, r.requestType), scope: r.scope, name: r.name, did_type: nameOf(DidType, r.didType),
    dest_rse_id: r.destRseId, dest_rse: r.destRse, source_rse_id: r.sourceRseId, source_rse: r.sourceRse, attributes: r.attributes,
    state: nameOf(RequestState, r.state), external_id: r.externalId, external_host: r.externalHost, retry_count: r.retryCount,
    err_msg: r.errMsg, previous_attempt_id: r.previousAttemptId, rule_id: r.ruleId, activity: r.activity,
    bytes: r.bytes === null ? null : Number(r.bytes), md5: r.md5, adler32: r.adler32, dest_url: r.destUrl,
    submitted_at: rfc1123(r.submittedAt), started_at: rfc1123(r.startedAt), transferred_at: rfc1123(r.transferredAt), account: r.account,
    requested_at: rfc1123(r.requestedAt), priority: r.priority, transfertool: r.transfertool, created_at: rfc1123(r.createdAt),
    updated_at: rfc1123(r.updatedAt),
  };
}
