/**
 * ECR repositories: scan on push, immutable tags, declared encryption, a lifecycle policy.
 */
import { isTrue, referenceKeys, ResourceRule, StackRule } from "../framework";
import { TYPES } from "../shared";
import { list, record } from "../view";

export const ecrScanOnPush: ResourceRule = {
  scope: "resource",
  id: "ecr-scan-on-push",
  description: "ECR repositories scan images on push.",
  why: "Known vulnerabilities in an image are reported before it runs on a cluster.",
  severity: "mandatory",
  types: [TYPES.ecrRepository],
  check(r) {
    const scan = record(r.inputs.imageScanningConfiguration)?.scanOnPush;
    return isTrue(scan)
      ? []
      : ["repository does not set imageScanningConfiguration.scanOnPush: true"];
  },
};

export const ecrImmutableTags: ResourceRule = {
  scope: "resource",
  id: "ecr-immutable-tags",
  description: "ECR repositories set imageTagMutability IMMUTABLE.",
  why: "Images are tagged with the git commit; a tag must always name the image that commit built.",
  severity: "mandatory",
  types: [TYPES.ecrRepository],
  check(r) {
    const mutability = r.inputs.imageTagMutability;
    return mutability === "IMMUTABLE"
      ? []
      : [
          `repository imageTagMutability is ${JSON.stringify(mutability ?? "MUTABLE")}, not "IMMUTABLE"`,
        ];
  },
};

const ECR_ENCRYPTION_TYPES = ["KMS", "AES256", "KMS_DSSE"];

export const ecrEncryption: ResourceRule = {
  scope: "resource",
  id: "ecr-encryption",
  description: "ECR repositories declare encryptionConfigurations (KMS, KMS_DSSE or AES256).",
  why: "The encryption of images is chosen explicitly (KMS where keys are audited), not left to a default.",
  severity: "advisory",
  types: [TYPES.ecrRepository],
  check(r) {
    const types = list(r.inputs.encryptionConfigurations).map((c) => record(c)?.encryptionType);
    return types.some((t) => typeof t === "string" && ECR_ENCRYPTION_TYPES.includes(t))
      ? []
      : ["repository declares no encryptionConfigurations with an encryptionType"];
  },
};

/** Rules of an ECR lifecycle policy document, or a problem. */
function lifecycleRules(policy: unknown): { count: number } | { problem: string } {
  let parsed: unknown = policy;
  if (typeof policy === "string") {
    try {
      parsed = JSON.parse(policy);
    } catch {
      return { problem: "is not valid JSON" };
    }
  }
  const rules = record(parsed)?.rules;
  if (!Array.isArray(rules) || rules.length === 0) return { problem: "has no rules" };
  return { count: rules.length };
}

export const ecrLifecyclePolicy: StackRule = {
  scope: "stack",
  id: "ecr-lifecycle-policy",
  description: "Every ECR repository has a LifecyclePolicy resource with at least one rule.",
  why: "Without expiry, untagged and old images accumulate and cost storage forever.",
  severity: "advisory",
  types: [TYPES.ecrRepository],
  check(r, stack) {
    const policies = stack.referencing(
      TYPES.ecrLifecyclePolicy,
      "repository",
      referenceKeys(r, "name"),
    );
    if (policies.length === 0) return ["repository has no LifecyclePolicy resource"];
    const problems = policies.map((p) => lifecycleRules(p.inputs.policy));
    if (problems.some((p) => "count" in p)) return [];
    return problems.map((p) => `lifecycle policy ${"problem" in p ? p.problem : ""}`);
  },
};
