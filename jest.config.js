/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking is `npm run build`'s job; tests transpile only, which keeps a 2-core run fast.
    '^.+\\.[tj]s$': ['ts-jest', {}],
  },
  // middy 6 ships ESM only: let ts-jest turn it into CommonJS like our own code.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  // One temporary directory per run, removed at its end (see test/global/tmpdir.js).
  globalSetup: '<rootDir>/test/global/setup.js',
  globalTeardown: '<rootDir>/test/global/teardown.js',
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/summary-reporter.js'],
};
