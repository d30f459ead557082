/**
 * Every `aliases` option the program declares, per stack, against an explicit list (and the ones
 * the provider SDKs add to their own resources, against theirs): an alias that appears (a rename
 * that keeps its resource) or vanishes (a rename that would replace it) shows up here first. The
 * offline engine records the aliases of each registration request: the mock's newResource does
 * not see options, and stack transforms are off under mocks (@pulumi/pulumi 3.248.0
 * runtime/mocks.js: supportsTransforms = false).
 */
import * as pulumi from "@pulumi/pulumi";
import { installMockEngine, RecordedResource } from "../../offline/plan/mock-engine";
import { offlineConfig, PROJECT, stacksOrThrow } from "../../offline/plan/run";
import { tuneSdkForOfflinePlan } from "../../offline/plan/sdk-tuning";
import { declarePlatform } from "../../program/program";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const waitForRPCs: () => Promise<void> = require("@pulumi/pulumi/runtime/settings").waitForRPCs;

/**
 * The aliases the program declares, per stack: "<type> <name>: <alias>", sorted. None today: no
 * resource of the program has moved or been renamed since its first release. A rename adds its
 * alias here, in the same change.
 */
const PROGRAM_ALIASES: Record<string, string[]> = {
  dev: [],
  prod: [],
};

/**
 * The aliases the provider SDKs put on their own resources for a type they renamed (generated
 * code, e.g. @pulumi/aws 7.48.0 s3/bucket.js: `aliases: [{ type: "aws:s3/bucketV2:BucketV2" }]`),
 * by resource type, over both stacks. A provider upgrade that changes them shows up here.
 */
const SDK_TYPE_ALIASES: Record<string, string> = {
  "aws:s3/bucket:Bucket": "type=aws:s3/bucketV2:BucketV2",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
    "type=aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  "aws:s3/bucketObjectv2:BucketObjectv2": "type=aws:s3/BucketObject:BucketObject",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    "type=aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  "aws:s3/bucketVersioning:BucketVersioning": "type=aws:s3/bucketVersioningV2:BucketVersioningV2",
};

/**
 * Runs the program of `stack` under the offline engine; every registration, aliases included.
 * With the offline plan's SDK tuning (no stack capture per resource and promise: most of a run's
 * cost), which leaves the registration requests as they are (offline/plan/sdk-tuning.ts).
 */
async function registrations(stack: string): Promise<RecordedResource[]> {
  const restoreSdk = tuneSdkForOfflinePlan();
  try {
    return await declareAll(stack);
  } finally {
    restoreSdk();
  }
}

async function declareAll(stack: string): Promise<RecordedResource[]> {
  const info = stacksOrThrow().find((s) => s.stack === stack)!;
  const recorded = installMockEngine(PROJECT, stack, {
    region: info.settings.awsRegion,
    accountId: info.settings.awsAccountId,
    githubOrganization: info.settings.githubOrganization,
  });
  const { config, secretKeys } = offlineConfig(info);
  pulumi.runtime.setAllConfig(config, secretKeys);
  await declarePlatform();
  await waitForRPCs();
  return recorded;
}

/**
 * Each resource's distinct aliases, "<type> <name>: <alias>", sorted; a spec's parent is left out
 * where it is the resource's own parent (the SDK fills it in: runtime/resource.js).
 */
function aliasList(recorded: RecordedResource[]): string[] {
  return recorded
    .flatMap((r) => [
      ...new Set(
        (r.aliases ?? []).map(
          (a) => `${r.type} ${r.name}: ${a.replace(` parenturn=${r.parent}`, "")}`,
        ),
      ),
    ])
    .sort();
}

/** An alias the provider SDK declares for the resource's type (see SDK_TYPE_ALIASES). */
function isSdkTypeAlias(line: string): boolean {
  const [head, alias] = line.split(": ");
  return SDK_TYPE_ALIASES[head.split(" ")[0]] === alias;
}

const sdkTypesSeen = new Set<string>();

describe.each(Object.keys(PROGRAM_ALIASES))("the %s stack", (stack) => {
  test("declares exactly the expected aliases", async () => {
    const recorded = await registrations(stack);
    // The whole program ran: every service of the stack, and more than a hundred registrations.
    expect(recorded.filter((r) => r.type === "mlplatform:service:MlService").length).toBe(
      stack === "dev" ? 3 : 2,
    );
    expect(recorded.length).toBeGreaterThan(100);
    const all = aliasList(recorded);
    expect(all.filter((line) => !isSdkTypeAlias(line))).toEqual(PROGRAM_ALIASES[stack]);
    for (const line of all.filter(isSdkTypeAlias)) sdkTypesSeen.add(line.split(" ")[0]);
    // Every resource of a type the SDK aliases carries its alias.
    const aliased = recorded.filter((r) => SDK_TYPE_ALIASES[r.type] !== undefined);
    expect(aliased.length).toBeGreaterThan(0);
    expect(
      aliased.filter((r) => !all.includes(`${r.type} ${r.name}: ${SDK_TYPE_ALIASES[r.type]}`)),
    ).toEqual([]);
  });
});

test("the provider SDKs' type aliases listed are the ones the stacks carry, no more", () => {
  expect([...sdkTypesSeen].sort()).toEqual(Object.keys(SDK_TYPE_ALIASES).sort());
});

test("the recording sees an alias in either form the SDK sends", async () => {
  const recorded = installMockEngine(PROJECT, "dev", {
    region: "eu-west-1",
    githubOrganization: "o",
  });
  class Moved extends pulumi.ComponentResource {
    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
      super("mlplatform:test:Moved", name, {}, opts);
      this.registerOutputs({});
    }
  }
  const parent = new Moved("new-parent", {});
  new Moved("renamed", { aliases: [{ name: "old-name" }] });
  new Moved("moved", { parent, aliases: [{ parent: pulumi.rootStackResource }] });
  new Moved("by-urn", { aliases: ["urn:pulumi:dev::mlplatform::mlplatform:test:Moved::before"] });
  await waitForRPCs();
  expect(aliasList(recorded)).toEqual([
    "mlplatform:test:Moved by-urn: urn:pulumi:dev::mlplatform::mlplatform:test:Moved::before",
    "mlplatform:test:Moved moved: noparent=true",
    "mlplatform:test:Moved renamed: name=old-name",
  ]);
  // A resource without the option records none.
  expect(recorded.find((r) => r.name === "new-parent")?.aliases).toBeUndefined();
});
