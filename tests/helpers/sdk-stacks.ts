/**
 * The offline plan's SDK tuning (offline/plan/sdk-tuning.ts) for the tests that run components
 * under the SDK's mock engine themselves: no stack captured per resource and per internal promise.
 * Under jest each such stack is source-mapped frame by frame (jest installs source-map-support for
 * the test files), which was the largest single cost of those files. The registrations are the same
 * with and without it: tests/scale/sdk-tuning.test.ts compares whole plans, engine ids included.
 * jest's own stack depth is kept, so a failing expectation still shows where it failed. Applied for
 * the rest of the test file (each file has its own copy of the SDK), never restored.
 */
import { tuneSdkForOfflinePlan } from "../../offline/plan/sdk-tuning";

export function skipSdkStackCapture(): void {
  const limit = Error.stackTraceLimit;
  tuneSdkForOfflinePlan({});
  Error.stackTraceLimit = limit;
}
