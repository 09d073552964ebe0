/**
 * The web UI's only way to data: Tarn's REST API on the same origin, authenticated by the session cookie that
 * POST /auth/session sets (httpOnly: no script reads it). Changes carry the session's CSRF token as X-Tarn-CSRF.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly exceptionClass: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onUnauthenticated: () => void = () => undefined;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, logged out elsewhere): the UI shows the login again. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A path segment: DID names, RSE expressions and the like may hold '/', '?', '#'. */
export const seg = (value: string) => encodeURIComponent(value);

async function failure(response: Response): Promise<ApiError> {
  let exceptionClass = response.headers.get('ExceptionClass') ?? `HTTP ${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && typeof body === 'object') {
      exceptionClass = body.ExceptionClass ?? exceptionClass;
      message = body.ExceptionMessage ?? message;
    }
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401 && exceptionClass === 'CannotAuthenticate') onUnauthenticated();
  if (response.status === 400 && exceptionClass === 'CannotAuthenticate') onUnauthenticated();
  return new ApiError(response.status, exceptionClass, message);
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json, application/x-json-stream' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-Tarn-CSRF'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
    signal,
  });
  if (!response.ok) throw await failure(response);
  return response;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await send('GET', path, undefined, signal)).json() as Promise<T>;
}

/**
 * A listing streamed as one JSON value per line (NDJSON), read up to `max` lines; the rest is not downloaded (the
 * request is cancelled, so the server stops reading its cursor).
 */
export async function getLines<T>(path: string, options: { max?: number; signal?: AbortSignal } = {}): Promise<{ items: T[]; more: boolean }> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const response = await send('GET', path, undefined, options.signal);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const items: T[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (!line) continue;
      if (items.length === max) {
        await reader.cancel();
        return { items, more: true };
      }
      items.push(JSON.parse(line) as T);
    }
    if (done) break;
  }
  if (buffer.trim() && items.length < max) items.push(JSON.parse(buffer) as T);
  return { items, more: false };
}

export async function call(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const response = await send(method, path, body);
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function getText(path: string, signal?: AbortSignal): Promise<string> {
  return (await send('GET', path, undefined, signal)).text();
}
