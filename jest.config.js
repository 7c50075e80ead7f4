// Two projects: `unit` (pure code, beside the source) and `e2e` (against the real local control plane).
// client-node 1.x, openid-client, oauth4webapi, jose, p-queue and p-timeout are ESM-only: one combined
// pattern lets swc transform them, since Jest on Node 20 cannot require() ES modules.
const transform = { '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] };
// Dynamic imports name the compiled file (`import('./cluster.js')`, as Node needs); Jest runs the .ts source.
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };
const transformIgnorePatterns = [
  '/node_modules/(?!(@kubernetes/client-node|openid-client|oauth4webapi|jose|p-queue|p-timeout)/)',
];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/golden/**/*.test.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: '<rootDir>/test/e2e/setup/environment.ts',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/test/e2e/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/e2e/setup/timeouts.ts'],
    },
    {
      // The long part of the fault and abuse suite (`make fault-test`): bursts of 1,000, minute-long outages.
      displayName: 'fault',
      testEnvironment: '<rootDir>/test/e2e/setup/environment.ts',
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/fault/**/*.fault.test.ts'],
      globalSetup: '<rootDir>/test/e2e/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/e2e/setup/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/e2e/setup/timeouts.ts'],
    },
  ],
};
