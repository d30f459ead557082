/**
 * The policy-pack adapter, called the way the Pulumi analyzer calls it, with hand-built arguments:
 * the same rules, the same messages, the rule's severity as the enforcement level.
 */
import type {
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { packPolicies, POLICY_PACK_NAME } from "../../policy/src/pack";
import { RULES, TYPES } from "../../policy/src/rules";
import { urnOf } from "./fixtures";

// The analyzer's own proxy over resource properties (internal to @pulumi/policy, used as it uses it).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy<T>(props: T): T;
  UnknownValueError: new (...args: unknown[]) => Error;
  unknownStringValue: unknown;
};

const OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason}`);
}

function resourceArgs(
  type: string,
  name: string,
  props: Record<string, unknown>,
  opts: Partial<PolicyResourceOptions> = {},
): ResourceValidationArgs {
  return {
    type,
    name,
    urn: urnOf(type, name),
    props: proxy.unknownCheckingProxy(props),
    opts: { ...OPTIONS, ...opts },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

function stackResource(type: string, name: string, props: Record<string, unknown>): PolicyResource {
  return {
    type,
    name,
    urn: urnOf(type, name),
    props: proxy.unknownCheckingProxy(props),
    opts: OPTIONS,
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

function stackArgs(resources: PolicyResource[]): StackValidationArgs {
  return {
    resources,
    stackTags: new Map(),
    getConfig: <T extends object>() => ({}) as T,
    notApplicable,
  };
}

function policy(id: string): ResourceValidationPolicy | StackValidationPolicy {
  const found = packPolicies().find((p) => p.name === id);
  if (!found) throw new Error(`no policy ${id}`);
  return found;
}

/** Runs a resource policy and returns what it reported: [message, urn?] per violation. */
function validateResource(id: string, args: ResourceValidationArgs): unknown[][] {
  const p = policy(id);
  if (!("validateResource" in p) || typeof p.validateResource !== "function") {
    throw new Error(`${id} is not a resource policy`);
  }
  const reported: unknown[][] = [];
  const report: ReportViolation = (...a) => reported.push(a);
  void p.validateResource(args, report);
  return reported;
}

function validateStack(id: string, resources: PolicyResource[]): unknown[][] {
  const p = policy(id);
  if (!("validateStack" in p)) throw new Error(`${id} is not a stack policy`);
  const reported: unknown[][] = [];
  const report: ReportViolation = (...a) => reported.push(a);
  void p.validateStack(stackArgs(resources), report);
  return reported;
}

const ECR_REPOSITORY = {
  name: "mlp/svc-dev",
  imageTagMutability: "IMMUTABLE",
  imageScanningConfiguration: { scanOnPush: true },
  encryptionConfigurations: [{ encryptionType: "KMS" }],
};

describe("the pack's policies", () => {
  test("one policy per rule, named by its id, enforced at its severity", () => {
    const policies = packPolicies();
    expect(POLICY_PACK_NAME).toBe("mlplatform");
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual(
      RULES.map((r) => [r.id, r.severity]),
    );
    for (const [i, rule] of RULES.entries()) {
      const p = policies[i];
      expect(p.description).toBe(`${rule.description} Why: ${rule.why}`);
      expect("validateStack" in p).toBe(rule.scope === "stack");
      expect("validateResource" in p).toBe(rule.scope === "resource");
    }
  });
});

describe("resource policies", () => {
  test("report the rule's message for a violating resource", () => {
    const args = resourceArgs(TYPES.ecrRepository, "svc-images", {
      ...ECR_REPOSITORY,
      imageTagMutability: "MUTABLE",
    });
    expect(validateResource("ecr-immutable-tags", args)).toEqual([
      ['repository imageTagMutability is "MUTABLE", not "IMMUTABLE"'],
    ]);
  });

  test("report nothing for a compliant resource or a resource of another type", () => {
    const compliant = resourceArgs(TYPES.ecrRepository, "svc-images", ECR_REPOSITORY);
    const otherType = resourceArgs(TYPES.bucket, "b", { imageTagMutability: "MUTABLE" });
    expect(validateResource("ecr-immutable-tags", compliant)).toEqual([]);
    expect(validateResource("ecr-immutable-tags", otherType)).toEqual([]);
  });

  test("read JSON policy documents from the props", () => {
    const args = resourceArgs(TYPES.iamRolePolicy, "svc-ci", {
      policy: JSON.stringify({
        Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }],
      }),
    });
    expect(validateResource("iam-no-wildcard-action", args)).toEqual([
      ['policy statement 1 allows "s3:*"'],
    ]);
  });

  test("data-retained reads protect from the options; retainOnDelete is not in the protocol", () => {
    const bucket = { bucket: "b", tags: {} };
    const isProtected = resourceArgs(TYPES.bucket, "b", bucket, { protect: true });
    const unprotected = resourceArgs(TYPES.bucket, "b", bucket, { protect: false });
    expect(validateResource("data-retained", isProtected)).toEqual([]);
    // Undecidable here (retainOnDelete unknown): enforced by the offline plan instead.
    expect(validateResource("data-retained", unprotected)).toEqual([]);
  });

  test("secrets arrive unwrapped, so plaintext-secret checks are left to the offline plan", () => {
    const args = resourceArgs(TYPES.githubActionsSecret, "s", { plaintextValue: "unwrapped" });
    expect(validateResource("no-plaintext-secrets", args)).toEqual([]);
  });

  test("Databricks credential checks look at values, so they run in the pack too", () => {
    const args = resourceArgs(TYPES.databricksJob, "svc-training", {
      tasks: [{ newCluster: { sparkEnvVars: { API_TOKEN: "dapi123" } } }],
      tags: {},
    });
    expect(validateResource("databricks-no-plain-secrets", args)).toEqual([
      [
        "tasks[0].newCluster.sparkEnvVars.API_TOKEN holds a plain value; reference a secret as {{secrets/<scope>/<key>}}",
      ],
    ]);
  });

  test("an unknown value during preview reaches the SDK, which reports the policy as not runnable", () => {
    const args = resourceArgs(TYPES.bucketPolicy, "p", { policy: proxy.unknownStringValue });
    expect(() => validateResource("policy-document-valid", args)).toThrow(proxy.UnknownValueError);
  });
});

describe("stack policies", () => {
  const bucket = (name: string) => stackResource(TYPES.bucket, name, { bucket: name, id: name });
  const block = (name: string, target: string) =>
    stackResource(TYPES.publicAccessBlock, name, { bucket: target });

  test("report on the URN of the resource that lacks its companion", () => {
    const reported = validateStack("s3-public-access-block-present", [
      bucket("a"),
      bucket("b"),
      block("a-block", "a"),
      block("stray-block", "c"),
    ]);
    expect(reported).toEqual([
      ["bucket has no BucketPublicAccessBlock resource pointing at it", urnOf(TYPES.bucket, "b")],
    ]);
  });

  test("resolve references by the provider id in the outputs", () => {
    const job = stackResource(TYPES.databricksJob, "svc-training", { id: "123", tags: {} });
    const permissions = stackResource(TYPES.databricksPermissions, "svc-training", {
      jobId: "123",
    });
    expect(validateStack("databricks-job-permissions", [job, permissions])).toEqual([]);
    expect(validateStack("databricks-job-permissions", [job])).toEqual([
      [
        "job has no Permissions resource with its jobId",
        urnOf(TYPES.databricksJob, "svc-training"),
      ],
    ]);
  });

  test("an unknown value in a resource the rule does not read does not stop it", () => {
    const image = stackResource("docker-build:index:Image", "base", {
      digest: proxy.unknownStringValue,
    });
    expect(validateStack("s3-public-access-block-present", [image, bucket("a")])).toEqual([
      ["bucket has no BucketPublicAccessBlock resource pointing at it", urnOf(TYPES.bucket, "a")],
    ]);
  });
});
