import { Readable } from 'node:stream';
import { readTpcOutcome, refusesHttpTpc } from './webdav-tpc.js';

const body = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));
const marker = (n: number) => `Perf Marker\nTimestamp: 1796432960\nStripe Index: 0\nStripe Bytes Transferred: ${n}\nTotal Stripe Count: 1\nEnd\n`;

describe('HTTP-TPC COPY outcome', () => {
  test('success after markers, with the bytes of the last marker', async () => {
    expect(await readTpcOutcome(body(marker(0), marker(1000), 'success: Created\n'))).toEqual({ ok: true, line: 'success: Created', bytes: 1000 });
  });

  test('a failure line is a failure, with its words', async () => {
    const outcome = await readTpcOutcome(body(marker(0), 'failure: Remote side failed with status code 404\n'));
    expect(outcome).toMatchObject({ ok: false, line: 'failure: Remote side failed with status code 404' });
  });

  test('a body cut before its outcome is a failure, also when split mid-line', async () => {
    expect((await readTpcOutcome(body(marker(5), 'succ'))).ok).toBe(false);
    expect((await readTpcOutcome(body())).line).toBe('the copy ended without an outcome');
    expect((await readTpcOutcome(body('succ', 'ess: Created'))).ok).toBe(true);
  });

  test('statuses that mean the server does not take HTTP-TPC', () => {
    expect([400, 405, 501].every(refusesHttpTpc)).toBe(true);
    expect([401, 403, 404, 409, 500, 507].some(refusesHttpTpc)).toBe(false);
  });
});
