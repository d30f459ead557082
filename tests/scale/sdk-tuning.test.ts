/**
 * The offline plan's SDK tuning: the same plan as with the SDK's defaults, applied only while a
 * plan runs, restored after it (also when the program fails), and off with MLPLATFORM_SDK_DEFAULTS=1.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import { generatedEntry, tempDir, writeCatalog, writeStacks } from "../../bench/catalog-generator";
import { ServiceEntry } from "../../catalog/types";
import { engineIds, runPlan } from "../../offline/plan/run";
import {
  PLAN_NODE_FLAGS,
  SDK_DEFAULTS_ENV,
  sdkTuningActive,
  structRoundTrip,
  tuneSdkForOfflinePlan,
} from "../../offline/plan/sdk-tuning";
import fc from "fast-check";
import { sdkDirectory } from "../../offline/deferred-modules";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise: unknown;
};
const statics = pulumi.Resource as unknown as { stackTrace: unknown };
/** The Struct class the SDK encodes property maps with (resolved from the SDK's folder). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require(
  require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdkDirectory()] }),
) as {
  Struct: {
    new (): object;
    fromJavaScript(value: unknown): { toJavaScript(): unknown };
  };
};

/** Entries of the generated catalog the tuned and the default plans are compared on. */
const SERVICES = 4;

describe("SDK tuning of the offline plan", () => {
  let root: string;
  let servicesDir: string;
  let stacksDir: string;
  const original = {
    stackTrace: statics.stackTrace,
    debuggablePromise: debuggable.debuggablePromise,
    stackTraceLimit: Error.stackTraceLimit,
    fromJavaScript: Struct.fromJavaScript,
  };

  beforeAll(() => {
    root = tempDir("sdk-tuning");
    servicesDir = path.join(root, "services");
    stacksDir = path.join(root, "stacks");
    // Four generated entries already hold every variant the generator makes (both templates, with
    // and without batch prediction, schedule, evaluation, repository settings, dev only or dev and
    // prod: bench/catalog-generator.ts); more of them only repeat those, at a plan's cost each.
    writeCatalog(servicesDir, SERVICES);
    writeStacks(stacksDir, ["dev", "prod"]);
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  afterEach(() => {
    delete process.env[SDK_DEFAULTS_ENV];
  });

  function expectDefaults(): void {
    expect(sdkTuningActive()).toBe(false);
    expect(statics.stackTrace).toBe(original.stackTrace);
    expect(debuggable.debuggablePromise).toBe(original.debuggablePromise);
    expect(Error.stackTraceLimit).toBe(original.stackTraceLimit);
    expect(Struct.fromJavaScript).toBe(original.fromJavaScript);
  }

  it("compares on a catalog with every variant the generator makes", () => {
    const entries = Array.from(
      { length: SERVICES },
      (_, i) => YAML.parse(generatedEntry(i)) as Record<string, Record<string, unknown>>,
    );
    const kinds = (f: (e: Record<string, Record<string, unknown>>) => unknown) =>
      [...new Set(entries.map((e) => JSON.stringify(f(e))))].sort();
    expect(kinds((e) => e.template)).toEqual(['"pyspark"', '"sklearn"']);
    expect(kinds((e) => e.environments)).toEqual(['["dev","prod"]', '["dev"]']);
    expect(kinds((e) => "batchPrediction" in e)).toEqual(["false", "true"]);
    expect(kinds((e) => "schedule" in e.training)).toEqual(["false", "true"]);
    expect(kinds((e) => "evaluation" in e)).toEqual(["false", "true"]);
    expect(kinds((e) => "repository" in e)).toEqual(["false", "true"]);
  });

  // dev: every generated service (prod leaves out the dev-only ones, no variant of its own).
  it("plans exactly what the SDK's defaults plan", async () => {
    const tuned = await runPlan({ stack: "dev", servicesDir, stacksDir });
    process.env[SDK_DEFAULTS_ENV] = "1";
    const defaults = await runPlan({ stack: "dev", servicesDir, stacksDir });
    delete process.env[SDK_DEFAULTS_ENV];
    expect(tuned.summary.services).toBe(SERVICES);
    expect(tuned.summary.resources).toBeGreaterThan(SERVICES * 40);
    expect(JSON.stringify(tuned)).toBe(JSON.stringify(defaults));
    expect(engineIds(tuned)).toEqual(engineIds(defaults));
    expectDefaults();
  });

  it("switches the stack capture off while applied and restores it after", () => {
    const restore = tuneSdkForOfflinePlan({});
    expect(sdkTuningActive()).toBe(true);
    expect(Error.stackTraceLimit).toBe(0);
    expect((statics.stackTrace as (skip: number) => unknown[])(4)).toEqual([]);
    const p = Promise.resolve(1);
    expect(
      (debuggable.debuggablePromise as (p: Promise<number>, ctx: string) => unknown)(p, "x"),
    ).toBe(p);
    // Property maps: a real Struct message whose toJavaScript answers the round trip.
    const message = Struct.fromJavaScript({ b: [1, { d: null, c: "x" }], a: true });
    expect(message).toBeInstanceOf(Struct);
    expect(JSON.stringify(message.toJavaScript())).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
    expect(() => Struct.fromJavaScript({ a: undefined })).toThrow("Unexpected struct type.");
    restore();
    expectDefaults();
  });

  it("restores only when the outermost of nested runs ends, once per restore function", () => {
    const outer = tuneSdkForOfflinePlan({});
    const inner = tuneSdkForOfflinePlan({});
    inner();
    inner();
    expect(sdkTuningActive()).toBe(true);
    expect(Error.stackTraceLimit).toBe(0);
    outer();
    expectDefaults();
  });

  it("changes nothing with MLPLATFORM_SDK_DEFAULTS=1", () => {
    const restore = tuneSdkForOfflinePlan({ [SDK_DEFAULTS_ENV]: "1" });
    expectDefaults();
    restore();
    expectDefaults();
  });

  it("restores the SDK's settings when the plan fails", async () => {
    await expect(runPlan({ stack: "nope", servicesDir, stacksDir })).rejects.toThrow(
      'unknown stack "nope"',
    );
    // A program that throws while declaring (an entry that skipped validation).
    const broken = {
      file: "services/broken.yaml",
      digest: "",
      entry: { name: "broken", team: "alpha", environments: ["dev"] } as unknown as ServiceEntry,
    };
    await expect(
      runPlan({ stack: "dev", servicesDir, stacksDir, catalog: [broken] }),
    ).rejects.toThrow(TypeError);
    expectDefaults();
  });
});

describe("the property maps handed to the mock monitor", () => {
  /** Keys in order at every depth: JSON.stringify keeps the order, toEqual does not look at it. */
  const exactly = (value: unknown) => JSON.stringify(value);
  const real = (value: Record<string, unknown>) => Struct.fromJavaScript(value).toJavaScript();
  // The JSON-like values the SDK's serialization produces, with keys in any order (numeric ones
  // too), nested, unicode, -0 and large numbers.
  const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("10", "9", "a", "B", "é", "_"));
  const value = fc.letrec((tie) => ({
    leaf: fc.oneof(fc.string({ maxLength: 8 }), fc.double(), fc.boolean(), fc.constant(null)),
    node: fc.oneof(
      { depthSize: "small" },
      tie("leaf"),
      fc.array(tie("node"), { maxLength: 4 }),
      fc.dictionary(key, tie("node"), { maxKeys: 5 }),
    ),
  })).node;

  it("are what google-protobuf's Struct round trip gives, key order included", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (record) => {
        const expected = real(record);
        const actual = structRoundTrip(record);
        expect(exactly(actual)).toBe(exactly(expected));
        expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it("are refused where the Struct refuses them", () => {
    for (const bad of [undefined, () => 1, Symbol("s"), BigInt(1)]) {
      expect(() => real({ a: { b: [bad] } })).toThrow("Unexpected struct type.");
      expect(() => structRoundTrip({ a: { b: [bad] } })).toThrow("Unexpected struct type.");
    }
    // A hole in an array is undefined to both.
    expect(() => structRoundTrip({ a: [1, , 2] })).toThrow("Unexpected struct type.");
    expect(() => real({ a: [1, , 2] })).toThrow("Unexpected struct type.");
    // Inherited enumerable keys count, as in the Struct's for...in.
    const child = Object.create({ inherited: 1 }) as Record<string, unknown>;
    child.own = 2;
    expect(exactly(structRoundTrip(child))).toBe(exactly(real(child)));
  });
});

describe("node flags of the plan command", () => {
  it("are the ones the benchmark's tuned runs use, given on node's command line", () => {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"),
    ) as { scripts: Record<string, string> };
    expect(PLAN_NODE_FLAGS).toEqual(["--max-semi-space-size=128", "--single-threaded-gc"]);
    expect(pkg.scripts.plan).toBe(
      `node cli/build-if-stale.js && node ${PLAN_NODE_FLAGS.join(" ")} dist/cli/plan.js`,
    );
  });
});
