import type { RseAttributeValue } from '@tarn/domain';
import type { AddRseInput, RseProtocolInput, UpdateRseInput } from '../rses/rse.types.js';

/** One RSE of an import: created when no live RSE has its name, else its given properties are changed. */
export interface ImportedRse {
  rse: string;
  properties: UpdateRseInput & Omit<AddRseInput, 'rse'>;
  /** Each is updated when the RSE has a protocol with its (scheme, hostname, port), else added; none is removed. */
  protocols: RseProtocolInput[];
  /** Set (replaced when present); attributes left out stay. */
  attributes: Record<string, RseAttributeValue>;
  /** Named limits (MinFreeSpace, MaxBytes, ...) in bytes; limits left out stay. */
  limits: Record<string, number>;
}

export interface ImportedIdentity {
  type: string;
  identity: string;
  /** A USERPASS identity that does not exist yet needs one. */
  password?: string;
}

export interface ImportedAccount {
  account: string;
  email: string;
  /** When given, the account's identities become exactly these. */
  identities?: ImportedIdentity[];
}

/** Rucio's import_data: RSEs, distances (source -> destination) and, when given (not empty), the complete list of accounts. */
export interface CatalogueImport {
  rses: ImportedRse[];
  distances: Array<{ src: string; dest: string; distance: number }>;
  accounts?: ImportedAccount[];
}
