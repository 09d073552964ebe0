import { ColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Byte and file counts are bigint in PostgreSQL. They are read back as JavaScript numbers: counts up to
 * 2^53 bytes (8 PiB) per row are exact, far beyond any single file or RSE counter Tarn keeps.
 */
export const bigintNumber: ValueTransformer = {
  to: (value?: number | null) => value,
  from: (value?: string | null) => (value === null || value === undefined ? value : Number(value)),
};

export const bytesColumn = (options: Partial<ColumnOptions> = {}): ColumnOptions => ({
  type: 'bigint',
  transformer: bigintNumber,
  ...options,
});

export const timestamp = (options: Partial<ColumnOptions> = {}): ColumnOptions => ({
  type: 'timestamptz',
  ...options,
});
