import { RseAttributeValue, RseType } from '@tarn/domain';
import type { RseRecord } from '@tarn/catalogue/repositories/rse.repository.js';

/** What an RSE is created with; everything but the name has Rucio's default. */
export interface AddRseInput {
  rse: string;
  /** DISK (default) or TAPE. */
  rseType?: RseType | 'DISK' | 'TAPE' | 'disk' | 'tape';
  deterministic?: boolean;
  volatile?: boolean;
  staging?: boolean;
  qosClass?: string | null;
  availabilityRead?: boolean;
  availabilityWrite?: boolean;
  availabilityDelete?: boolean;
  /** Rucio's availability integer (read 4 + write 2 + delete 1); overrides the three flags. */
  availability?: number;
  city?: string | null;
  regionCode?: string | null;
  countryName?: string | null;
  continent?: string | null;
  timeZone?: string | null;
  longitude?: number | null;
  latitude?: number | null;
}

/** Any of the RSE's properties; `rse` renames it. */
export type UpdateRseInput = Partial<AddRseInput>;

export interface RseProtocolDomains {
  lan?: { read?: number; write?: number; delete?: number; third_party_copy_read?: number; third_party_copy_write?: number };
  wan?: {
    read?: number;
    write?: number;
    delete?: number;
    third_party_copy_read?: number;
    third_party_copy_write?: number;
    /** Older clients: sets both third-party-copy priorities. */
    third_party_copy?: number;
  };
}

/** A protocol as Rucio's add_protocol takes it. Priorities: 0 = not offered, 1 = most preferred. */
export interface RseProtocolInput {
  scheme: string;
  /** Default 'localhost', as in Rucio. */
  hostname?: string;
  /** Default 0, as in Rucio. */
  port?: number;
  prefix?: string;
  impl: string;
  domains?: RseProtocolDomains;
  extendedAttributes?: Record<string, unknown> | null;
}

export type UpdateRseProtocolInput = Partial<RseProtocolInput>;

/** A protocol in the shape of Rucio's RSE info (`domains` with lan and wan priorities). */
export interface RseProtocolView {
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  impl: string;
  domains: {
    lan: { read: number; write: number; delete: number };
    wan: { read: number; write: number; delete: number; third_party_copy_read: number; third_party_copy_write: number };
  };
  extendedAttributes: Record<string, unknown> | null;
}

export interface RseSummary extends Omit<RseRecord, 'deleted' | 'deletedAt'> {
  /** Rucio's availability integer: read 4 + write 2 + delete 1. */
  availability: number;
}

export interface RseDetails extends RseSummary {
  attributes: Record<string, RseAttributeValue>;
  protocols: RseProtocolView[];
}

export interface RseUsageView {
  rseId: string;
  rse: string;
  source: string;
  used: number;
  free: number | null;
  /** used + free (free counted as 0 when unknown), as Rucio reports it. */
  total: number;
  files: number;
  updatedAt: Date;
}

export interface SetRseUsageInput {
  /** `rucio` for the catalogue's own count, `storage` for what the storage reports, or any other name. */
  source: string;
  used: number;
  free?: number | null;
  files?: number;
}

export interface DistanceView {
  srcRseId: string;
  srcRse: string;
  destRseId: string;
  destRse: string;
  distance: number;
  updatedAt: Date;
}
