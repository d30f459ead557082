/**
 * The SDK's serializer dependencies loaded on first use in each test file, as the commands load
 * them (offline/deferred-modules.ts). jest gives every test file its own module registry and does
 * not consult `require.cache`, so the stand-ins go in through `jest.mock` of the resolved files
 * (https://jestjs.io/docs/jest-object#jestmockmodulename-factory-options), each loading the real
 * module with `jest.requireActual` the first time it is used.
 * https://jestjs.io/docs/configuration#setupfiles-array
 */
"use strict";
const {
  DEFERRED_MODULES,
  deferredModuleFile,
  lazyExports,
} = require("../../offline/deferred-modules");

for (const request of DEFERRED_MODULES) {
  const file = deferredModuleFile(request);
  if (file !== undefined) jest.mock(file, () => lazyExports(() => jest.requireActual(file)));
}
