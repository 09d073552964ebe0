import { clockFindings, type DaemonInstance, daemonFindings } from './daemon-findings.js';
import { spaceFindings } from './space-findings.js';
import type { RseOverview } from '../overview/overview.types.js';

const now = new Date('2026-12-05T10:00:00Z');
const instance = (over: Partial<DaemonInstance>): DaemonInstance => ({
  executable: 'reaper',
  hostname: 'node-1',
  pid: 100,
  thread: 'main',
  alive: true,
  ageSeconds: 2,
  deadAfterSeconds: 30,
  updatedAt: now,
  payload: { clock: now.toISOString(), failures: 0 },
  ...over,
});

describe('daemon findings', () => {
  it('finds nothing when every daemon of the list has a live instance', () => {
    expect(daemonFindings([instance({}), instance({ executable: 'auditor' })], ['reaper', 'auditor'])).toEqual([]);
  });

  it('names a dead instance (error), a daemon left without a live one (error) and one nobody runs (warning)', () => {
    const findings = daemonFindings([instance({ alive: false, ageSeconds: 95 })], ['reaper', 'auditor']);
    expect(findings.map((f) => [f.severity, f.subject, f.what])).toEqual([
      ['error', 'reaper on node-1 (pid 100)', 'dead: no heartbeat for 95 s (dead after 30 s)'],
      ['error', 'reaper', 'no live instance: its work waits'],
      ['warning', 'auditor', 'no instance has a heartbeat: nobody runs it'],
    ]);
  });

  it('says once that no daemon runs at all', () => {
    expect(daemonFindings([], ['reaper', 'auditor']).map((f) => [f.severity, f.subject, f.what])).toEqual([
      ['error', null, 'no daemon instance has a heartbeat: nothing is replicated, verified or deleted'],
    ]);
    expect(daemonFindings([], [])).toEqual([]);
  });

  it('a dead instance beside a live one is one finding; a live one failing 3 passes in a row is a warning', () => {
    const findings = daemonFindings(
      [instance({ pid: 1, alive: false, ageSeconds: 40 }), instance({ pid: 2, payload: { failures: 3, lastError: 'storage down' } }), instance({ pid: 3, payload: { failures: 2 } })],
      ['reaper'],
    );
    expect(findings.map((f) => [f.severity, f.subject])).toEqual([
      ['error', 'reaper on node-1 (pid 1)'],
      ['warning', 'reaper on node-1 (pid 2)'],
    ]);
    expect(findings[1].what).toBe('its last 3 passes failed: storage down');
  });
});

describe('clock findings', () => {
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

  it('warns once per host, with its worst skew, past 5 s either way; dead instances and rows without a clock do not count', () => {
    const findings = clockFindings([
      instance({ hostname: 'a', payload: { clock: at(4.9) } }),
      instance({ hostname: 'b', payload: { clock: at(-7) } }),
      instance({ hostname: 'b', payload: { clock: at(-30) } }),
      instance({ hostname: 'c', alive: false, payload: { clock: at(60) } }),
      instance({ hostname: 'd', payload: null }),
    ]);
    expect(findings.map((f) => [f.subject, f.what])).toEqual([['b', "its clock is 30.0 s behind the catalogue database's"]]);
  });

  it("counts the API process's own skew", () => {
    expect(clockFindings([], { hostname: 'api-host', skewSeconds: 6 }).map((f) => f.subject)).toEqual(['api-host']);
    expect(clockFindings([], { hostname: 'api-host', skewSeconds: 0.2 })).toEqual([]);
  });
});

describe('space findings', () => {
  const GiB = 2 ** 30;
  const rse = (usage: RseOverview['usage'], limits: Record<string, number> = {}): RseOverview =>
    ({ name: 'SITE_A', limits, usage } as unknown as RseOverview);
  const storage = (used: number, free: number | null) => ({ rseId: 'x', source: 'storage', used, free, files: 0, updatedAt: now });

  it('finds nothing with room to spare, or when the storage never told its space', () => {
    expect(spaceFindings(rse([storage(50 * GiB, 50 * GiB)], { MinFreeSpace: 10 * GiB }))).toEqual([]);
    expect(spaceFindings(rse([storage(50 * GiB, null)], { MinFreeSpace: 10 * GiB }))).toEqual([]);
  });

  it('warns over 90 % full, below MinFreeSpace, and over MaxBytes', () => {
    const findings = spaceFindings(rse([storage(95 * GiB, 5 * GiB), { ...storage(120 * GiB, null), source: 'rucio' }], { MinFreeSpace: 10 * GiB, MaxBytes: 100 * GiB }));
    expect(findings.map((f) => f.what)).toEqual([
      'its storage is 95 % full (5.0 GiB free)',
      '5.0 GiB free, below its MinFreeSpace of 10.0 GiB',
      'the catalogue counts 120.0 GiB on it, over its MaxBytes of 100.0 GiB',
    ]);
  });
});
