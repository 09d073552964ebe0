import type { StorageChecksums } from './storage-protocol.js';

/** What a WebDAV HEAD asks for: RFC 3230 instance digests, as dCache, StoRM and EOS serve them. */
export const WANT_DIGEST = 'adler32, md5;q=0.5';

/**
 * Reads an RFC 3230 `Digest` header, e.g. `adler32=03da0195, md5=HUXZLQLMuI/KZ5KDcJPcOA==`: adler32 in hex,
 * md5 in base64 (RFC 1864); returns both as lowercase hex. Unknown algorithms and malformed values are ignored.
 */
export function parseDigestHeader(header: string | undefined): StorageChecksums {
  const checksums: StorageChecksums = {};
  if (!header) return checksums;
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const algorithm = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim();
    if (algorithm === 'adler32' && /^[0-9a-fA-F]{1,8}$/.test(value)) {
      checksums.adler32 = value.toLowerCase().padStart(8, '0');
    } else if (algorithm === 'md5') {
      const hex = /^[0-9a-fA-F]{32}$/.test(value) ? value.toLowerCase() : base64ToHex(value);
      if (hex?.length === 32) checksums.md5 = hex;
    }
  }
  return checksums;
}

function base64ToHex(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('hex');
}
