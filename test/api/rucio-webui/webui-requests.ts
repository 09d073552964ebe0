/**
 * Every request Rucio's web UI (rucio/webui 40.1.x) sends to a Rucio server, as its gateway endpoints
 * (src/lib/infrastructure/gateway/**) build them, and what it reads from each answer. The tests send each one
 * through `webUi()` below, which builds a request the way the UI's `prepareRequestArgs` does, and read the answer
 * the way its two endpoint bases do:
 * - `json` (BaseEndpoint): the whole body as text, every `Infinity` replaced by -1, then JSON.parse;
 * - `text` (BaseEndpoint parsing the body as text): the body, compared with "Created" where noted;
 * - `ndjson` (BaseStreamableEndpoint): one JSON value a line, each read with JSON.parse as it is (no Infinity, NaN).
 * `headers` is the Content-Type the UI sets (it sends no Accept header).
 */
export interface WebUiRequest {
  gateway: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  query?: readonly string[];
  contentType: 'application/json' | 'application/x-json-stream' | null;
  body?: readonly string[];
  /** Keys the UI sends that Rucio does not know and ignores (so the OpenAPI document need not name them). */
  ignored?: readonly string[];
  answer: 'json' | 'ndjson' | 'text' | 'headers';
  /** Where the server streams NDJSON (as Rucio does) that the UI reads as one JSON value: right while it is one line. */
  served?: 'ndjson';
  reads: readonly string[];
}

const JSON_TYPE = 'application/json';
const STREAM = 'application/x-json-stream';

export const WEB_UI_REQUESTS = {
  login: {
    gateway: 'rucio-auth-server userpassLogin',
    method: 'GET', path: '/auth/userpass', contentType: null, answer: 'headers',
    reads: ['X-Rucio-Auth-Token', 'X-Rucio-Auth-Account', 'X-Rucio-Auth-Token-Expires', '401 for wrong credentials'],
  },
  accountInfo: {
    gateway: 'GetAccountInfoEndpoint', method: 'GET', path: '/accounts/{account}', contentType: JSON_TYPE, answer: 'json',
    reads: ['account', 'account_type', 'status', 'email', 'created_at', 'updated_at', 'deleted_at', 'suspended_at'],
  },
  accountAttributes: {
    gateway: 'RucioAccountGateway.listAccountAttributes', method: 'GET', path: '/accounts/{account}/attr', contentType: null, answer: 'json',
    reads: ['[{key, value}]'],
  },
  accountLimits: {
    gateway: 'GetAccountRSELimits', method: 'GET', path: '/accounts/{account}/limits', contentType: JSON_TYPE, answer: 'json',
    reads: ['{rse: bytes}'],
  },
  accountUsage: {
    gateway: 'ListAccountRSEUsageEndpoint', method: 'GET', path: '/accounts/{account}/usage', contentType: JSON_TYPE, answer: 'ndjson',
    reads: ['rse_id', 'rse', 'bytes', 'files', 'bytes_limit'],
  },
  identityAccounts: {
    gateway: 'x509 login: accounts of an identity', method: 'GET', path: '/identities/accounts', query: ['identity_key', 'type'], contentType: JSON_TYPE,
    answer: 'json', reads: ['[account]'],
  },
  didGet: {
    gateway: 'GetDIDEndpoint', method: 'GET', path: '/dids/{scope}/{name}', query: ['dynamic_depth'], contentType: JSON_TYPE, answer: 'json',
    reads: ['scope', 'name', 'type', 'account', 'bytes', 'length', 'open', 'monotonic', 'expired_at', 'md5', 'adler32'],
  },
  didStatusGet: {
    gateway: 'GetDIDEndpoint (status)', method: 'GET', path: '/dids/{scope}/{name}/status', contentType: JSON_TYPE, answer: 'json',
    reads: ['type', 'account', 'open', 'monotonic', 'expired_at', 'bytes', 'length'],
  },
  didStatusPut: {
    gateway: 'SetDIDStatusEndpoint', method: 'PUT', path: '/dids/{scope}/{name}/status', contentType: JSON_TYPE, body: ['open'], answer: 'text',
    reads: ['2xx', '409 when the status cannot change'],
  },
  didMeta: {
    gateway: 'GetDIDMetaEndpoint, GetDIDKeyValuePairsEndpoint', method: 'GET', path: '/dids/{scope}/{name}/meta', contentType: JSON_TYPE, answer: 'json',
    reads: ['the did columns of Rucio’s default metadata plugin (DID_META_KEYS)'],
  },
  didCreate: {
    gateway: 'AddDIDEndpoint', method: 'POST', path: '/dids/{scope}/{name}', contentType: JSON_TYPE, body: ['type'], ignored: ['scope', 'name'], answer: 'text',
    reads: ['"Created"', '409 when it exists'],
  },
  didAttach: {
    gateway: 'AttachDIDsEndpoint', method: 'POST', path: '/dids/{scope}/{name}/dids', contentType: JSON_TYPE, body: ['dids'], ignored: ['scope', 'name'],
    answer: 'text', reads: ['"Created"', '409 when already attached'],
  },
  didContents: {
    gateway: 'ListDIDContentsEndpoint', method: 'GET', path: '/dids/{scope}/{name}/dids', contentType: STREAM, answer: 'ndjson',
    reads: ['scope', 'name', 'type'],
  },
  didParents: {
    gateway: 'ListDIDParentsEndpoint', method: 'GET', path: '/dids/{scope}/{name}/parents', contentType: STREAM, answer: 'ndjson',
    reads: ['scope', 'name', 'type'],
  },
  didRules: {
    gateway: 'ListDIDRulesEndpoint', method: 'GET', path: '/dids/{scope}/{name}/rules', contentType: STREAM, answer: 'ndjson',
    reads: ['id', 'name', 'state', 'account', 'updated_at', 'subscription_id'],
  },
  didSearch: {
    gateway: 'ListDIDsEndpoint', method: 'GET', path: '/dids/{scope}/dids/search', query: ['name', 'type'], contentType: STREAM, answer: 'ndjson',
    reads: ['"name" a line'],
  },
  didSample: {
    gateway: 'CreateDidSampleEndpoint', method: 'POST', path: '/dids/sample', contentType: JSON_TYPE,
    body: ['input_scope', 'input_name', 'output_scope', 'output_name', 'nbfiles'], answer: 'text', reads: ['"Created"'],
  },
  replicasList: {
    gateway: 'ListFileReplicasEndpoint', method: 'POST', path: '/replicas/list', contentType: STREAM,
    body: ['dids', 'all_states', 'ignore_availability'], answer: 'ndjson', reads: ['scope', 'name', 'rses', 'states'],
  },
  replicasDatasets: {
    gateway: 'ListDatasetReplicasEndpoint', method: 'GET', path: '/replicas/{scope}/{name}/datasets', contentType: STREAM, answer: 'ndjson',
    reads: ['rse', 'state', 'available_length', 'available_bytes', 'created_at', 'accessed_at'],
  },
  replicasSuspicious: {
    gateway: 'ListSuspiciousReplicasEndpoint', method: 'GET', path: '/replicas/suspicious/', query: ['rse_expression', 'younger_than', 'nattempts'],
    contentType: JSON_TYPE, answer: 'json', reads: ['[{scope, name, rse, cnt, created_at}]'],
  },
  badPfns: {
    gateway: 'DeclareBadPFNsEndpoint', method: 'POST', path: '/replicas/bad/pfns/', contentType: JSON_TYPE, body: ['pfns', 'reason', 'state', 'expires_at'],
    answer: 'text', reads: ['"Created"'],
  },
  badDids: {
    gateway: 'DeclareBadReplicasEndpoint', method: 'POST', path: '/replicas/bad/dids/', contentType: JSON_TYPE, body: ['dids', 'rse', 'reason'],
    ignored: ['expires_at'], answer: 'json', reads: ['[not declared]'],
  },
  request: {
    gateway: 'GetRequestEndpoint', method: 'GET', path: '/requests/{scope}/{name}/{rse}', contentType: JSON_TYPE, answer: 'json',
    reads: ['the request dictionary'],
  },
  rseList: {
    gateway: 'ListRSEsEndpoint', method: 'GET', path: '/rses', query: ['expression'], contentType: STREAM, answer: 'ndjson',
    reads: ['id', 'rse', 'rse_type', 'volatile', 'deterministic', 'staging_area', '400 for an expression selecting nothing'],
  },
  rseInfo: {
    gateway: 'GetRSEEndpoint', method: 'GET', path: '/rses/{rse}', contentType: JSON_TYPE, answer: 'json',
    reads: ['id', 'rse', 'rse_type', 'volatile', 'deterministic', 'staging_area'],
  },
  rseAttributes: {
    gateway: 'GetRSEAttributesEndpoint', method: 'GET', path: '/rses/{rse}/attr', contentType: JSON_TYPE, answer: 'json', reads: ['{key: value}'],
  },
  rseProtocols: {
    gateway: 'GetRSEProtocolsEndpoint', method: 'GET', path: '/rses/{rse}/protocols', contentType: JSON_TYPE, answer: 'json',
    reads: ['[{scheme, hostname, port, prefix, impl, domains.lan.{read,write,delete}, domains.wan.{…, third_party_copy_read/write}}]'],
  },
  rseUsage: {
    gateway: 'GetRSEUsageEndpoint', method: 'GET', path: '/rses/{rse}/usage', contentType: JSON_TYPE, answer: 'json', served: 'ndjson',
    reads: ['rse_id', 'rse', 'source', 'used', 'total', 'files', 'updated_at'],
  },
  ruleCreate: {
    gateway: 'CreateRuleEndpoint', method: 'POST', path: '/rules/', contentType: JSON_TYPE,
    body: ['dids', 'copies', 'rse_expression', 'account', 'grouping', 'lifetime', 'comments', 'ask_approval', 'asynchronous', 'activity', 'notify', 'meta'],
    ignored: ['sample', 'sample_file_count'], answer: 'json', reads: ['[rule id]'],
  },
  rulesList: {
    gateway: 'ListRulesEndpoint', method: 'GET', path: '/rules/', query: ['account', 'scope', 'activity', 'updated_after', 'updated_before', 'state', 'name'],
    contentType: STREAM, answer: 'ndjson',
    reads: ['id', 'scope', 'name', 'account', 'rse_expression', 'created_at', 'expires_at', 'state', 'locks_ok_cnt', 'locks_replicating_cnt', 'locks_stuck_cnt'],
  },
  rulesPendingApproval: {
    gateway: 'ListRulesPendingApprovalEndpoint', method: 'GET', path: '/rules/', query: ['account', 'scope', 'state'], contentType: STREAM, answer: 'ndjson',
    reads: ['did_type', 'grouping', 'comments', 'bytes', 'and the rule list fields'],
  },
  rulesForAccount: {
    gateway: 'ListRulesForAccountEndpoint', method: 'GET', path: '/rules', query: ['account'], contentType: STREAM, answer: 'ndjson', reads: ['as rulesList'],
  },
  ruleGet: {
    gateway: 'GetRuleEndpoint', method: 'GET', path: '/rules/{id}', contentType: JSON_TYPE, answer: 'json', reads: ['TRucioRule (RULE_KEYS)'],
  },
  ruleUpdate: {
    gateway: 'UpdateRuleEndpoint', method: 'PUT', path: '/rules/{id}', contentType: JSON_TYPE, body: ['options'], answer: 'text', reads: ['2xx'],
  },
  ruleDelete: {
    gateway: 'DeleteRuleEndpoint', method: 'DELETE', path: '/rules/{id}', contentType: JSON_TYPE, body: [], answer: 'text', reads: ['2xx'],
  },
  ruleAnalysis: {
    gateway: 'ExamineRuleEndpoint', method: 'GET', path: '/rules/{id}/analysis', contentType: JSON_TYPE, answer: 'json', reads: ['rule_error', 'transfers'],
  },
  ruleLocks: {
    gateway: 'ListRuleReplicaLockStatesEndpoint', method: 'GET', path: '/rules/{id}/locks', contentType: STREAM, answer: 'ndjson',
    reads: ['scope', 'name', 'rse_id', 'rse', 'state', 'rule_id'],
  },
  subscriptionsOfAccount: {
    gateway: 'ListSubscriptionsEndpoint', method: 'GET', path: '/subscriptions/{account}', contentType: STREAM, answer: 'ndjson',
    reads: ['SUBSCRIPTION_KEYS'],
  },
  subscriptionByName: {
    gateway: 'GetSubscriptionEndpoint', method: 'GET', path: '/subscriptions/{account}/{name}', contentType: JSON_TYPE, answer: 'json', served: 'ndjson',
    reads: ['SUBSCRIPTION_KEYS'],
  },
  subscriptionById: {
    gateway: 'GetSubscriptionByIdEndpoint', method: 'GET', path: '/subscriptions/Id/{id}', contentType: JSON_TYPE, answer: 'json',
    reads: ['SUBSCRIPTION_KEYS'],
  },
  subscriptionRuleStates: {
    gateway: 'ListSubscriptionRuleStatesEndpoint', method: 'GET', path: '/subscriptions/{account}/rules/states', contentType: STREAM,
    answer: 'ndjson', reads: ['[account, name, state, count]'],
  },
} as const satisfies Record<string, WebUiRequest>;

export type WebUiRequestName = keyof typeof WEB_UI_REQUESTS;

/** The keys of a DID's metadata from Rucio's default plugin (the did table's columns), as the UI types them. */
export const DID_META_KEYS = [
  'scope', 'name', 'account', 'did_type', 'is_open', 'monotonic', 'hidden', 'obsolete', 'complete', 'is_new', 'availability',
  'suppressed', 'bytes', 'length', 'md5', 'adler32', 'expired_at', 'purge_replicas', 'deleted_at', 'events', 'guid', 'project',
  'datatype', 'run_number', 'stream_name', 'prod_step', 'version', 'campaign', 'task_id', 'panda_id', 'lumiblocknr', 'provenance',
  'phys_group', 'transient', 'accessed_at', 'closed_at', 'eol_at', 'is_archive', 'constituent', 'access_cnt', 'created_at', 'updated_at',
] as const;

/** The keys of a rule (Rucio's ReplicationRule.to_dict()) the UI types as TRucioRule. */
export const RULE_KEYS = [
  'error', 'locks_stuck_cnt', 'ignore_availability', 'meta', 'subscription_id', 'rse_expression', 'source_replica_expression',
  'ignore_account_limit', 'created_at', 'account', 'copies', 'activity', 'priority', 'updated_at', 'scope', 'expires_at', 'grouping',
  'name', 'weight', 'notification', 'comments', 'did_type', 'locked', 'stuck_at', 'child_rule_id', 'state', 'locks_ok_cnt',
  'purge_replicas', 'eol_at', 'id', 'locks_replicating_cnt', 'split_container', 'bytes',
] as const;

/** The keys of a subscription the UI types as TRucioSubscription. */
export const SUBSCRIPTION_KEYS = [
  'id', 'name', 'filter', 'replication_rules', 'policyid', 'state', 'last_processed', 'account', 'lifetime', 'comments',
  'retroactive', 'expired_at', 'created_at', 'updated_at',
] as const;

export interface WebUiAnswer {
  status: number;
  headers: Headers;
  text: string;
  /** The body read as the request's `answer` says: a value, a list of lines, or the text. */
  value: unknown;
}

export interface WebUiCall {
  token?: string;
  /** Values for the {placeholders} of the path, inserted as the gateway does (most endpoints do not encode them). */
  path?: Record<string, string>;
  /** Query parameters in the order the gateway appends them. */
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Rucio's REST dates as the UI's date parsing expects them: RFC 1123 in GMT/UTC, or ISO 8601 without a zone. */
export const RUCIO_DATE = /^(\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} (UTC|GMT)|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?)$/;

function readAnswer(kind: WebUiRequest['answer'], text: string): unknown {
  if (kind === 'json') return JSON.parse(text.replace(/Infinity/g, '-1'));
  if (kind === 'ndjson') return text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as unknown);
  return text;
}

/**
 * Sends requests as the web UI's gateway does and records which rows of the table were sent, so that a test can
 * check none was left out.
 */
export function webUi(baseUrl: string) {
  const sent = new Set<WebUiRequestName>();
  /** Successful answers whose Content-Type is not the one Rucio sends there (JSON, NDJSON, or the text Created). */
  const wrongTypes: string[] = [];
  async function send(name: WebUiRequestName, call: WebUiCall = {}): Promise<WebUiAnswer> {
    const spec: WebUiRequest = WEB_UI_REQUESTS[name];
    sent.add(name);
    const path = spec.path.replace(/\{(\w+)\}/g, (_m, key: string) => {
      const value = call.path?.[key];
      if (value === undefined) throw new Error(`${name}: no value for {${key}}`);
      return value;
    });
    const url = new URL(baseUrl + path);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.append(key, value);
    const headers: Record<string, string> = { ...(call.headers ?? {}) };
    if (call.token !== undefined) headers['X-Rucio-Auth-Token'] = call.token;
    if (spec.contentType) headers['Content-Type'] = spec.contentType;
    const body = spec.body === undefined ? undefined : JSON.stringify(call.body ?? {});
    const response = await fetch(url, { method: spec.method, headers, body, redirect: 'manual' });
    const text = await response.text();
    const ok = response.status >= 200 && response.status < 300;
    const expected = expectedType(spec);
    const type = response.headers.get('Content-Type')?.split(';')[0];
    if (ok && expected && type !== expected) wrongTypes.push(`${name}: ${type} instead of ${expected}`);
    return { status: response.status, headers: response.headers, text, value: ok ? readAnswer(spec.answer, text) : safeJson(text) };
  }
  return { send, sent, wrongTypes };
}

function expectedType(spec: WebUiRequest): string | undefined {
  if (spec.served === 'ndjson' || spec.answer === 'ndjson') return 'application/x-json-stream';
  if (spec.answer === 'json') return 'application/json';
  if (spec.answer === 'text' && spec.reads.includes('"Created"')) return 'text/html';
  return undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
