/** Transpile-only: type-checking runs once as its own step (`npm run typecheck`). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/tests"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Each file transpiled alone, no program: isolatedModules is set in tsconfig.jest.json, where
    // ts-jest 29.4 reads it (https://kulshekhar.github.io/ts-jest/docs/getting-started/options/isolatedModules).
    "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json", diagnostics: false }],
  },
  testTimeout: 120000,
  // Two workers even on two cores (jest's default there is one, in band): test files wait on
  // child processes (commands, registries, linters) often enough that two overlap well.
  // https://jestjs.io/docs/configuration#maxworkers-number--string
  maxWorkers: 2,
  // A worker whose heap holds more than this after a test file is replaced, which keeps the
  // suite's peak memory bounded (jest-worker compares process.memoryUsage().heapUsed).
  // https://jestjs.io/docs/configuration#workeridlememorylimit-numberstring
  workerIdleMemoryLimit: "512MB",
};
