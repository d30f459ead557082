/**
 * Offline-plan tuning of the Pulumi SDK: turns off the stack-trace capture the SDK does for the
 * real engine, which is most of the offline plan's cost and memory, and the protobuf encoding of
 * property maps the in-process mock monitor decodes again at once.
 *
 * For every resource the SDK records where in the program it was declared (`Resource.stackTrace`
 * parses `new Error().stack` taken with `Error.stackTraceLimit = Infinity`), and every internal
 * promise keeps `new Error().stack` for leak reports (runtime/debuggable.js). Under ts-node each
 * of those stacks is also source-mapped. The real engine shows source positions in diagnostics;
 * the mock engine discards them, so the plan's output does not change (tests/scale proves it).
 *
 * Applied only by the offline plan (offline/plan/run.ts), never by `index.ts` / `pulumi up`, and
 * restored when the plan ends. `MLPLATFORM_SDK_DEFAULTS=1` keeps the SDK's defaults (full stacks,
 * e.g. to debug a program error, and the benchmark's comparison run).
 */
import * as pulumi from "@pulumi/pulumi";
import { sdkDirectory } from "../deferred-modules";

/**
 * Node flags of the plan command (package.json `plan`, and the benchmark's tuned runs): a young
 * generation of 128 MB per semi-space instead of 16 MB. A registration allocates promises and
 * outputs that live until the engine answers; in a small young generation they survive two
 * scavenges, are copied into the old generation and die there, so old-space garbage piles up
 * until a full mark-compact. With room to die young, 500 services plan about a third faster with
 * a quarter less peak memory (docs/scale.md). Flags of the V8 heap must be given when node
 * starts (`v8.setFlagsFromString` after start does not resize it).
 */
export const PLAN_NODE_FLAGS: readonly string[] = [
  "--max-semi-space-size=128",
  // Garbage collection on the main thread only (https://v8.dev/blog/trash-talk: by default V8
  // scavenges and marks with helper threads). The plan runs one process per core, so a process's
  // helpers compete with the other workers for the same cores; at 500 services over 2 workers on
  // 2 cores the plan took 14.2 to 15.9 s (7 runs) against 14.5 to 18.6 s with the helpers, with a
  // sixth less CPU (docs/scale.md, "Parallel plan").
  "--single-threaded-gc",
];

/** The environment variable that keeps the SDK's default settings. */
export const SDK_DEFAULTS_ENV = "MLPLATFORM_SDK_DEFAULTS";

/** `Resource.stackTrace` is a private static of the SDK; this is its shape. */
type StackTraceFn = (skip: number) => unknown[];
interface ResourceStatics {
  stackTrace: StackTraceFn;
}

const statics = pulumi.Resource as unknown as ResourceStatics;

/** runtime/debuggable.js: the SDK calls it through the module object, so replacing it applies. */
interface DebuggableModule {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable: DebuggableModule = require("@pulumi/pulumi/runtime/debuggable");

/** google-protobuf's Struct as the SDK loads it (struct_pb.js, resolved from the SDK's folder). */
interface StructClass {
  new (): { toJavaScript(): Record<string, unknown> };
  fromJavaScript(value: Record<string, unknown>): { toJavaScript(): Record<string, unknown> };
}
const struct: { Struct: StructClass } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(
    require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDirectory()] }),
  );

/** The message google-protobuf's `Value.fromJavaScript` throws for a value a Struct cannot hold. */
const UNEXPECTED = "Unexpected struct type.";

/**
 * What `Struct.fromJavaScript(x).toJavaScript()` returns, without the messages in between
 * (protocolbuffers/protobuf-javascript google/protobuf/struct_pb.js, the copy the SDK installs):
 * `fromJavaScript` walks `for (var property in obj)` (inherited enumerable keys included), each
 * value by `goog.typeOf` (string, number, boolean, null, array: every index up to `length`,
 * object: as a Struct) and throws "Unexpected struct type." for anything else (undefined, a
 * function, a symbol, a bigint); `toJavaScript` rebuilds the object from the message's map, which
 * iterates its keys sorted (jspb.Map forEach). tests/scale/sdk-tuning.test.ts compares both on
 * generated values, key order included.
 */
export function structRoundTrip(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return value;
    case "object": {
      if (Array.isArray(value)) {
        const list: unknown[] = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) list[i] = structRoundTrip(value[i]);
        return list;
      }
      const keys: string[] = [];
      for (const key in value) keys.push(key);
      keys.sort();
      const record = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of keys) out[key] = structRoundTrip(record[key]);
      return out;
    }
    default:
      throw new Error(UNEXPECTED);
  }
}

/**
 * `Struct.fromJavaScript` for the offline plan: a real (empty) Struct message, so the SDK's request
 * setters accept it, whose `toJavaScript` answers the round trip computed here, at once (so a value
 * a Struct cannot hold throws where it throws with the SDK's defaults). The SDK builds one per
 * registration, registerResourceOutputs and invoke (@pulumi/pulumi runtime/resource.js, invoke.js)
 * and the mock monitor reads it back with `toJavaScript` (offline/plan/mock-engine.ts,
 * @pulumi/pulumi runtime/mocks.js `deserializeProperties(req.getArgs())`); nothing else reads it
 * offline.
 */
function plainStruct(value: Record<string, unknown>): { toJavaScript(): Record<string, unknown> } {
  const converted = structRoundTrip(value) as Record<string, unknown>;
  const message = new struct.Struct();
  message.toJavaScript = () => converted;
  return message;
}

let depth = 0;
let saved:
  | {
      stackTrace: StackTraceFn;
      stackTraceLimit: number;
      debuggablePromise: DebuggableModule["debuggablePromise"];
      fromJavaScript: StructClass["fromJavaScript"];
    }
  | undefined;

/** Whether the offline plan keeps the SDK's default settings (MLPLATFORM_SDK_DEFAULTS=1). */
export function sdkDefaultsRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[SDK_DEFAULTS_ENV] === "1";
}

/** Whether the tuning is in effect right now. */
export function sdkTuningActive(): boolean {
  return depth > 0;
}

/**
 * Applies the tuning and returns the function that restores the SDK's settings. Nested calls are
 * counted: the settings come back when the outermost run restores. A no-op when
 * MLPLATFORM_SDK_DEFAULTS=1.
 */
export function tuneSdkForOfflinePlan(env: NodeJS.ProcessEnv = process.env): () => void {
  if (sdkDefaultsRequested(env)) return () => undefined;
  if (depth === 0) {
    saved = {
      stackTrace: statics.stackTrace,
      stackTraceLimit: Error.stackTraceLimit,
      debuggablePromise: debuggable.debuggablePromise,
      fromJavaScript: struct.Struct.fromJavaScript,
    };
    // No source position per resource: the mock engine does not use it.
    statics.stackTrace = () => [];
    // Stacks of internal promises and pre-allocated errors become empty instead of formatted.
    Error.stackTraceLimit = 0;
    // Internal promises unwrapped: no stack, no leak-report bookkeeping, two promises fewer each.
    debuggable.debuggablePromise = (p) => p;
    // Property maps handed to the in-process mock monitor as they are, not as protobuf messages.
    struct.Struct.fromJavaScript = plainStruct;
  }
  depth++;
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    depth--;
    if (depth === 0 && saved) {
      statics.stackTrace = saved.stackTrace;
      Error.stackTraceLimit = saved.stackTraceLimit;
      debuggable.debuggablePromise = saved.debuggablePromise;
      struct.Struct.fromJavaScript = saved.fromJavaScript;
      saved = undefined;
    }
  };
}
