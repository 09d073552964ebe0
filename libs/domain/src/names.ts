import { InvalidInput } from './errors.js';

export const SCOPE_MAX_LENGTH = 25;
export const DID_NAME_MAX_LENGTH = 250;
export const ACCOUNT_MAX_LENGTH = 25;
export const RSE_NAME_MAX_LENGTH = 255;

const SCOPE_PATTERN = /^[a-zA-Z_\-.0-9]+$/;
const ACCOUNT_PATTERN = /^[a-z0-9\-_]+$/;
const RSE_PATTERN = /^[A-Z0-9_-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

export interface Did {
  scope: string;
  name: string;
}

function invalid(message: string, details: Record<string, unknown>): InvalidInput {
  return new InvalidInput(message, { rucioClass: 'InvalidObject', details });
}

function show(value: string): string {
  return JSON.stringify(value);
}

/** Why `scope` is not a valid scope name, or null when it is. */
export function scopeProblem(scope: string): string | null {
  if (typeof scope !== 'string' || scope.length === 0) return 'a scope name must not be empty';
  if (scope.length > SCOPE_MAX_LENGTH) return `a scope name has at most ${SCOPE_MAX_LENGTH} characters (this one has ${scope.length})`;
  if (!SCOPE_PATTERN.test(scope)) return "a scope name may contain only letters, digits, '_', '-' and '.'";
  if (scope === '.' || scope === '..') return "a scope name must not be '.' or '..': scopes name directories on storage and on disk";
  return null;
}

/** Why `name` is not a valid DID name, or null when it is. */
export function didNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name.length === 0) return 'a DID name must not be empty';
  if (name.length > DID_NAME_MAX_LENGTH) return `a DID name has at most ${DID_NAME_MAX_LENGTH} characters (this one has ${name.length})`;
  const control = CONTROL_CHARACTER.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0');
    return `a DID name must not contain control characters (found U+${code} at character ${control.index + 1})`;
  }
  // The stock Rucio client splits "scope:name" on every ':' and refuses more than one.
  if (name.includes(':')) return "a DID name must not contain ':' (it separates scope and name)";
  if (name.startsWith('/')) return "a DID name must not start with '/'";
  if (name.endsWith('/')) return "a DID name must not end with '/'";
  if (name.includes('//')) return "a DID name must not contain '//'";
  if (name.split('/').some((segment) => segment === '.' || segment === '..')) {
    return "a DID name must not contain '.' or '..' as a path segment";
  }
  return null;
}

/** Why `account` is not a valid account name, or null when it is. */
export function accountProblem(account: string): string | null {
  if (typeof account !== 'string' || account.length === 0) return 'an account name must not be empty';
  if (account.length > ACCOUNT_MAX_LENGTH) {
    return `an account name has at most ${ACCOUNT_MAX_LENGTH} characters (this one has ${account.length})`;
  }
  if (!ACCOUNT_PATTERN.test(account)) return "an account name may contain only lower-case letters, digits, '-' and '_'";
  return null;
}

/** Why `rse` is not a valid RSE name, or null when it is. */
export function rseNameProblem(rse: string): string | null {
  if (typeof rse !== 'string' || rse.length === 0) return 'an RSE name must not be empty';
  if (rse.length > RSE_NAME_MAX_LENGTH) return `an RSE name has at most ${RSE_NAME_MAX_LENGTH} characters (this one has ${rse.length})`;
  if (!RSE_PATTERN.test(rse)) {
    if (RSE_PATTERN.test(rse.toUpperCase())) return `RSE names are upper case (did you mean ${show(rse.toUpperCase())}?)`;
    return "an RSE name may contain only upper-case letters, digits, '_' and '-'";
  }
  return null;
}

export function validateScope(scope: string): string {
  const problem = scopeProblem(scope);
  if (problem) throw invalid(`Invalid scope ${show(String(scope))}: ${problem}.`, { scope });
  return scope;
}

export function validateDidName(name: string): string {
  const problem = didNameProblem(name);
  if (problem) throw invalid(`Invalid DID name ${show(String(name))}: ${problem}.`, { name });
  return name;
}

export function validateAccountName(account: string): string {
  const problem = accountProblem(account);
  if (problem) throw invalid(`Invalid account name ${show(String(account))}: ${problem}.`, { account });
  return account;
}

export function validateRseName(rse: string): string {
  const problem = rseNameProblem(rse);
  if (problem) throw invalid(`Invalid RSE name ${show(String(rse))}: ${problem}.`, { rse });
  return rse;
}

export function validateDid(did: Did): Did {
  validateScope(did.scope);
  validateDidName(did.name);
  return did;
}

export const isValidScope = (scope: string): boolean => scopeProblem(scope) === null;
export const isValidDidName = (name: string): boolean => didNameProblem(name) === null;
export const isValidAccountName = (account: string): boolean => accountProblem(account) === null;
export const isValidRseName = (rse: string): boolean => rseNameProblem(rse) === null;

/** Parses and validates "scope:name". */
export function parseDid(did: string): Did {
  const colon = typeof did === 'string' ? did.indexOf(':') : -1;
  if (colon < 0) {
    throw invalid(`Invalid DID ${show(String(did))}: expected "scope:name", e.g. "user.jdoe:file.root".`, { did });
  }
  const scope = did.slice(0, colon);
  const name = did.slice(colon + 1);
  const problem = scopeProblem(scope) ?? didNameProblem(name);
  if (problem) throw invalid(`Invalid DID ${show(did)}: ${problem}.`, { did, scope, name });
  return { scope, name };
}

export function formatDid(did: Did): string {
  return `${did.scope}:${did.name}`;
}
