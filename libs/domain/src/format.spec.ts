import { formatBytes } from './format.js';

describe('formatBytes', () => {
  it.each<[number, string]>([
    [0, '0 B'],
    [999, '999 B'],
    [256.41, '256 B'],
    [1000, '1.00 kB'],
    [1500000000, '1.50 GB'],
    [15e12, '15.0 TB'],
    [125e9, '125 GB'],
    [-2000, '-2.00 kB'],
    [Infinity, 'unlimited'],
    [NaN, 'NaN'],
  ])('%p -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});
