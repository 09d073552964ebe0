import { TRANSFER_FAILURE_CLASSES, transferFailureClass } from './transfer-failure-class.js';

describe('transferFailureClass', () => {
  it.each([
    ['Checksum mismatch on exp:raw_1.fits: 0badc0de != 12345678', 'checksum'],
    ['connect ECONNREFUSED 127.0.0.1:9000', 'connection'],
    ['Connection refused: https://dav.site-b.org:443/tarn/exp/raw_1.fits', 'connection'],
    ['read ETIMEDOUT after 30 s', 'timeout'],
    ['PUT https://dav/x: 403 Forbidden', 'permission'],
    ['GET s3://bucket/exp/raw: 404 Not Found', 'not_found'],
    ['ENOSPC: no space left on device, write', 'no_space'],
    ['the source RSE 3f1c was deleted', 'configuration'],
    ['something nobody expected', 'other'],
    [null, 'other'],
  ] as const)('%s -> %s', (error, cls) => {
    expect(transferFailureClass(error)).toBe(cls);
  });

  it('calls a request that ended without sources no_source whatever its text, and every class is a declared one', () => {
    expect(transferFailureClass('403 Forbidden', true)).toBe('no_source');
    for (const text of ['x', 'checksum', 'timeout', '404', 'quota']) expect(TRANSFER_FAILURE_CLASSES).toContain(transferFailureClass(text));
  });
});
