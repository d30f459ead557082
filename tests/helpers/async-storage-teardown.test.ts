/**
 * What tests/helpers/async-storage-teardown.js relies on: the SDK keeps its AsyncLocalStorage on
 * the global object (@pulumi/pulumi runtime/state.js, `global.asyncLocalStorage = new
 * AsyncLocalStorage()`), enabled once the mocks run a program, and jest runs the teardown after
 * each file (setupFilesAfterEnv in jest.config.js).
 */
import { AsyncLocalStorage } from "async_hooks";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

test("the SDK's AsyncLocalStorage is on the file's global, where the teardown disables it", async () => {
  await pulumi.runtime.setMocks(
    { newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) },
    "p",
    "s",
  );
  const storage = (globalThis as { asyncLocalStorage?: unknown }).asyncLocalStorage;
  expect(storage).toBeInstanceOf(AsyncLocalStorage);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(__dirname, "..", "..", "jest.config.js")) as {
    setupFilesAfterEnv: string[];
  };
  expect(config.setupFilesAfterEnv).toEqual(["<rootDir>/tests/helpers/async-storage-teardown.js"]);
});
