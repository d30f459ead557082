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
  // jest-runtime plus V8's code cache, so the ~1,400 modules of the program and its providers are
  // not compiled from scratch in every test file (tests/helpers/code-cache-runtime.js).
  // https://jestjs.io/docs/configuration#runtime-string
  runtime: "<rootDir>/tests/helpers/code-cache-runtime.js",
  // Builds dist/ once when stale, before the files that run the compiled commands start.
  // https://jestjs.io/docs/configuration#globalsetup-string
  globalSetup: "<rootDir>/tests/helpers/global-setup.js",
  // Each test file loads the SDK's serializer dependencies only if it uses them, as the commands do.
  // https://jestjs.io/docs/configuration#setupfiles-array
  setupFiles: ["<rootDir>/tests/helpers/deferred-modules-setup.js"],
  // Each file's AsyncLocalStorage (the SDK's) is disabled when the file ends, so a worker's later
  // files do not pay for it on every promise. https://jestjs.io/docs/configuration#setupfilesafterenv-array
  setupFilesAfterEnv: ["<rootDir>/tests/helpers/async-storage-teardown.js"],
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
