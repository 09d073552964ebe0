/** One jest run for unit specs (beside the code) and integration tests (test/). Tarn is ESM: see README. */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
  extensionsToTreatAsEsm: ['.ts'],
  testRegex: '(apps|libs|test)/.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', useESM: true, diagnostics: false }],
  },
  moduleNameMapper: {
    '^@tarn/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
    '^@tarn/([a-z-]+)/(.*)\\.js$': '<rootDir>/libs/$1/src/$2',
    '^@tarn/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/test/global-setup.cjs',
  testTimeout: 60000,
  // Tests print nothing on success; `npm test -- --silent=false` shows the logs of the code under test.
  silent: true,
  maxWorkers: 2,
};
