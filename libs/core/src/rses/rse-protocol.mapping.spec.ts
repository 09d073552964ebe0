import { newProtocol, priorityColumns, protocolsFor, protocolView } from './rse-protocol.mapping.js';

describe('protocol priorities', () => {
  it('maps Rucio domains to columns; third_party_copy sets read and write; null means 0', () => {
    expect(priorityColumns('R', { lan: { read: 1, delete: null as never }, wan: { third_party_copy: 2, write: 3 } })).toEqual({
      readLan: 1,
      deleteLan: 0,
      thirdPartyCopyRead: 2,
      thirdPartyCopyWrite: 2,
      writeWan: 3,
    });
  });

  it('refuses fractional priorities', () => {
    expect(() => priorityColumns('R', { wan: { read: 1.5 } })).toThrow(/priority 1.5/);
  });

  it('fills Rucio defaults and orders offered protocols by priority, best first', () => {
    const a = protocolView(newProtocol('R', 'id', { scheme: 'root', impl: 'x', domains: { wan: { read: 2 } } }));
    const b = protocolView(newProtocol('R', 'id', { scheme: 'davs', hostname: 'h', port: 443, impl: 'y', domains: { wan: { read: 1, write: 1 } } }));
    expect(a).toMatchObject({ hostname: 'localhost', port: 0, prefix: '', extendedAttributes: null });
    expect(protocolsFor([a, b], 'read').map((p) => p.scheme)).toEqual(['davs', 'root']);
    expect(protocolsFor([a, b], 'write').map((p) => p.scheme)).toEqual(['davs']);
    expect(protocolsFor([a, b], 'delete')).toEqual([]);
  });
});
