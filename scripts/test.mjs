// `npm test`: the whole suite in two runs of jest: every test file but the topology test (two at a time), then the
// topology test alone, as it starts some twenty processes that would starve a test running beside it. With
// arguments (`npm test -- test/api`), one run of jest with them.
import { spawnSync } from 'node:child_process';

const jest = [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  '--disable-warning=TimeoutNegativeWarning',
  'node_modules/jest/bin/jest.js',
];
const args = process.argv.slice(2);
const runs = args.length > 0 ? [args] : [['--testPathIgnorePatterns', '/node_modules/', '/test/topology/'], ['test/topology']];
for (const run of runs) {
  const { status } = spawnSync(process.execPath, [...jest, ...run], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
