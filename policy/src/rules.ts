/**
 * The platform's policy rules, written once. The offline plan (lib/policy/evaluate.ts) and the
 * Pulumi policy pack (policy/index.ts, through policy/src/pack.ts) both run exactly these checks.
 * Everything the rules import lives in policy/, so the pack is self-contained.
 *
 * A resource rule looks at one resource; a stack rule looks at one resource and the stack around it
 * (e.g. "this bucket has a public access block pointing at it"), through an index built once.
 * A check returns the violation messages; an empty list means compliant.
 */
import {
  awsPrincipals,
  isAccountRoot,
  isAnyPrincipal,
  isWildcardAction,
  parsePolicyDocument,
  Statement,
} from "./policy-document";
import { DATA_BEARING_TYPES, SECRET_MASK } from "./shared";
import { list, record, ResourceView, StackIndex, text } from "./view";

export type Severity = "mandatory" | "advisory";

interface RuleInfo {
  /** Stable id, e.g. s3-public-access-block: the policy name in the pack and in plan findings. */
  id: string;
  /** What the rule requires. */
  description: string;
  /** Why the platform requires it. */
  why: string;
  severity: Severity;
  /** Resource types the rule checks. */
  types: readonly string[];
  /** Type prefixes the rule also checks (dynamic-provider types are not known in advance). */
  typePrefixes?: readonly string[];
}

export interface ResourceRule extends RuleInfo {
  scope: "resource";
  check(resource: ResourceView): string[];
}

export interface StackRule extends RuleInfo {
  scope: "stack";
  check(resource: ResourceView, stack: StackIndex): string[];
}

export type Rule = ResourceRule | StackRule;

/** Type tokens the rules name. */
export const TYPES = {
  bucket: "aws:s3/bucket:Bucket",
  bucketV2: "aws:s3/bucketV2:BucketV2",
  publicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  encryption:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  encryptionV2:
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  versioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  ecrRepository: "aws:ecr/repository:Repository",
  ecrLifecyclePolicy: "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  ecrRepositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  iamInstanceProfile: "aws:iam/instanceProfile:InstanceProfile",
  githubRepository: "github:index/repository:Repository",
  droneSecret: "pulumi-nodejs:dynamic/drone:Secret",
  droneRepositorySecrets: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
  githubVulnerabilityAlerts:
    "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts",
  githubRuleset: "github:index/repositoryRuleset:RepositoryRuleset",
  githubBranchProtection: "github:index/branchProtection:BranchProtection",
  githubBranchProtectionV3: "github:index/branchProtectionV3:BranchProtectionV3",
  githubBranchDefault: "github:index/branchDefault:BranchDefault",
  githubActionsSecret: "github:index/actionsSecret:ActionsSecret",
  githubActionsEnvironmentSecret: "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
  githubActionsOrganizationSecret:
    "github:index/actionsOrganizationSecret:ActionsOrganizationSecret",
  githubDependabotSecret: "github:index/dependabotSecret:DependabotSecret",
  githubCodespacesSecret: "github:index/codespacesSecret:CodespacesSecret",
  databricksJob: "databricks:index/job:Job",
  droneRepository: "pulumi-nodejs:dynamic/drone:Repository",
  databricksCluster: "databricks:index/cluster:Cluster",
  databricksPermissions: "databricks:index/permissions:Permissions",
  databricksSecret: "databricks:index/secret:Secret",
} as const;

/** Type prefix of resources served by a dynamic provider (the Drone integration). */
export const DYNAMIC_TYPE_PREFIX = "pulumi-nodejs:dynamic";

const BUCKET_TYPES = [TYPES.bucket, TYPES.bucketV2];
const IAM_POLICY_TYPES = [
  TYPES.iamRolePolicy,
  TYPES.iamPolicy,
  TYPES.iamUserPolicy,
  TYPES.iamGroupPolicy,
];

/** Types that carry tags, and must carry the platform's ownership tags. */
export const TAGGABLE_TYPES = [
  TYPES.bucket,
  TYPES.bucketV2,
  TYPES.ecrRepository,
  TYPES.iamRole,
  TYPES.iamInstanceProfile,
  TYPES.databricksJob,
];
export const REQUIRED_TAGS = ["service", "team", "environment"];

/**
 * Actions AWS cannot scope to a resource: the only ones an Allow on Resource "*" may name.
 * ecr:GetAuthorizationToken returns a registry-wide login token (the repository policy still
 * decides what that login may pull or push).
 */
export const UNSCOPED_ACTIONS = [
  "ecr:GetAuthorizationToken",
  "ecr-public:GetAuthorizationToken",
  "sts:GetServiceBearerToken",
];

/** Names of values that are credentials: they must come from a secret, never a plain value. */
export const SECRET_NAME = /token|password|passwd|secret|api[_-]?key|private[_-]?key|credential/i;
/** A Databricks secret reference: {{secrets/<scope>/<key>}}. */
export const SECRET_REFERENCE = /^\{\{secrets\/[^/{}\s]+\/[^/{}\s]+\}\}$/;

/** Inputs of the GitHub and Databricks secret resources that hold the secret value. */
const SECRET_VALUE_INPUTS: Record<string, string[]> = {
  [TYPES.githubActionsSecret]: ["plaintextValue"],
  [TYPES.githubActionsEnvironmentSecret]: ["plaintextValue"],
  [TYPES.githubActionsOrganizationSecret]: ["plaintextValue"],
  [TYPES.githubDependabotSecret]: ["plaintextValue"],
  [TYPES.githubCodespacesSecret]: ["plaintextValue"],
  [TYPES.databricksSecret]: ["stringValue"],
};

/** Identifiers other resources use to point at `r`: its id and its physical name input. */
function referenceKeys(r: ResourceView, nameInput: string): (string | undefined)[] {
  return [r.id, text(r.inputs[nameInput])];
}

/** Every policy document a resource declares, with the input path that holds it. */
function policyDocuments(r: ResourceView): { path: string; document: unknown }[] {
  if (r.type === TYPES.iamRole) {
    const inline = list(r.inputs.inlinePolicies).map((p, i) => ({
      path: `inlinePolicies[${i}].policy`,
      document: record(p)?.policy,
    }));
    return [{ path: "assumeRolePolicy", document: r.inputs.assumeRolePolicy }, ...inline].filter(
      (d) => d.document !== undefined,
    );
  }
  return r.inputs.policy === undefined ? [] : [{ path: "policy", document: r.inputs.policy }];
}

/** Statements of the documents at `paths` that parse; malformed ones are policy-document-valid's. */
function statementsOf(r: ResourceView, paths?: string[]): { path: string; statement: Statement }[] {
  const out: { path: string; statement: Statement }[] = [];
  for (const { path, document } of policyDocuments(r)) {
    if (paths && !paths.includes(path)) continue;
    const parsed = parsePolicyDocument(document);
    if ("statements" in parsed)
      out.push(...parsed.statements.map((statement) => ({ path, statement })));
  }
  return out;
}

/** Identity-policy documents of a resource (a role's trust policy is not one). */
function identityStatements(r: ResourceView): { path: string; statement: Statement }[] {
  return statementsOf(r).filter((s) => s.path !== "assumeRolePolicy");
}

function quoted(values: string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

function isFalse(value: unknown): boolean {
  return value === false || value === "false";
}

/** Every resource of `types` whose input `key` points at one of `targets`. */
function referencingAny(
  stack: StackIndex,
  types: readonly string[],
  key: string,
  targets: (string | undefined)[],
): ResourceView[] {
  return types.flatMap((t) => stack.referencing(t, key, targets));
}

const s3PublicAccessBlock: ResourceRule = {
  scope: "resource",
  id: "s3-public-access-block",
  description:
    "A bucket public access block sets blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets to true.",
  why: "Any flag left off lets an ACL or a policy make objects public.",
  severity: "mandatory",
  types: [TYPES.publicAccessBlock],
  check(r) {
    const flags = [
      "blockPublicAcls",
      "blockPublicPolicy",
      "ignorePublicAcls",
      "restrictPublicBuckets",
    ];
    const off = flags.filter((f) => !isTrue(r.inputs[f]));
    return off.length ? [`public access block leaves ${off.join(", ")} not true`] : [];
  },
};

const s3PublicAccessBlockPresent: StackRule = {
  scope: "stack",
  id: "s3-public-access-block-present",
  description: "Every bucket has a BucketPublicAccessBlock resource pointing at it.",
  why: "Without one, the bucket relies on account settings that a stack does not control.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const blocks = stack.referencing(TYPES.publicAccessBlock, "bucket", referenceKeys(r, "bucket"));
    return blocks.length ? [] : ["bucket has no BucketPublicAccessBlock resource pointing at it"];
  },
};

const SSE_ALGORITHMS = ["AES256", "aws:kms", "aws:kms:dsse"];

const s3Encryption: StackRule = {
  scope: "stack",
  id: "s3-default-encryption",
  description:
    "Every bucket has a BucketServerSideEncryptionConfiguration with a default algorithm (AES256, aws:kms or aws:kms:dsse).",
  why: "Artifacts and predictions are company data; encryption at rest is stated, not assumed.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const configs = referencingAny(
      stack,
      [TYPES.encryption, TYPES.encryptionV2],
      "bucket",
      referenceKeys(r, "bucket"),
    );
    const encrypted = configs.some((c) =>
      list(c.inputs.rules).some((rule) => {
        const algorithm = record(record(rule)?.applyServerSideEncryptionByDefault)?.sseAlgorithm;
        return typeof algorithm === "string" && SSE_ALGORITHMS.includes(algorithm);
      }),
    );
    return encrypted
      ? []
      : ["bucket has no server-side encryption configuration with a default algorithm"];
  },
};

const s3Versioning: StackRule = {
  scope: "stack",
  id: "s3-versioning",
  description: "Every bucket has a BucketVersioning resource with status Enabled.",
  why: "Versions make an overwritten or deleted model or prediction recoverable.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const configs = referencingAny(
      stack,
      [TYPES.versioning, TYPES.versioningV2],
      "bucket",
      referenceKeys(r, "bucket"),
    );
    const statuses = configs.map((c) => record(c.inputs.versioningConfiguration)?.status);
    if (statuses.includes("Enabled")) return [];
    if (statuses.length === 0) return ["bucket has no BucketVersioning resource"];
    return [`bucket versioning status is ${quoted(statuses.map(String))}, not "Enabled"`];
  },
};

/** A Deny on every S3 action for everyone when aws:SecureTransport is false. */
function deniesInsecureTransport(s: Statement): boolean {
  if (s.effect !== "Deny" || !isAnyPrincipal(s.principal)) return false;
  if (!s.actions.some((a) => a === "*" || a === "s3:*")) return false;
  const bool = record(s.condition?.Bool);
  return bool !== undefined && list(bool["aws:SecureTransport"]).some(isFalse);
}

const s3TlsOnly: StackRule = {
  scope: "stack",
  id: "s3-tls-only",
  description:
    'Every bucket has a bucket policy with a Deny of s3:* for every principal when "aws:SecureTransport" is false.',
  why: "Requests over plain HTTP would expose data and credentials on the wire.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r, stack) {
    const policies = stack.referencing(TYPES.bucketPolicy, "bucket", referenceKeys(r, "bucket"));
    const tlsOnly = policies.some((p) =>
      statementsOf(p).some(({ statement }) => deniesInsecureTransport(statement)),
    );
    return tlsOnly
      ? []
      : ["bucket has no bucket policy denying requests without TLS (aws:SecureTransport false)"];
  },
};

const noPublicPrincipal: ResourceRule = {
  scope: "resource",
  id: "resource-policy-no-public-principal",
  description:
    'No bucket or ECR repository policy statement Allows principal "*" (in any form) or uses NotPrincipal with Allow.',
  why: "A statement that allows everyone makes the data or images public, whatever the access block says.",
  severity: "mandatory",
  types: [TYPES.bucketPolicy, TYPES.ecrRepositoryPolicy],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of statementsOf(r)) {
      if (s.effect !== "Allow") continue;
      if (isAnyPrincipal(s.principal)) out.push(`${path} ${s.label} allows principal "*"`);
      if (s.notPrincipal !== undefined) out.push(`${path} ${s.label} allows with NotPrincipal`);
    }
    return out;
  },
};

const s3NoForceDestroy: ResourceRule = {
  scope: "resource",
  id: "s3-no-force-destroy",
  description: "Buckets do not set forceDestroy.",
  why: "forceDestroy deletes every object when the bucket is deleted: data loss by one edit.",
  severity: "mandatory",
  types: BUCKET_TYPES,
  check(r) {
    return isTrue(r.inputs.forceDestroy) ? ["bucket sets forceDestroy: true"] : [];
  },
};

const ecrScanOnPush: ResourceRule = {
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

const ecrImmutableTags: ResourceRule = {
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

const ecrEncryption: ResourceRule = {
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

const ecrLifecyclePolicy: StackRule = {
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

const policyDocumentValid: ResourceRule = {
  scope: "resource",
  id: "policy-document-valid",
  description:
    "IAM, trust, bucket and ECR repository policy documents are JSON objects with well-formed statements.",
  why: "A document the rules cannot read cannot be shown to be safe; AWS would reject it at deploy time.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES, TYPES.bucketPolicy, TYPES.ecrRepositoryPolicy],
  check(r) {
    const out: string[] = [];
    for (const { path, document } of policyDocuments(r)) {
      const parsed = parsePolicyDocument(document);
      if ("problem" in parsed) out.push(`${path} ${parsed.problem}`);
    }
    return out;
  },
};

const iamNoWildcardAction: ResourceRule = {
  scope: "resource",
  id: "iam-no-wildcard-action",
  description:
    'No IAM policy statement Allows action "*" or a whole service ("s3:*"), or Allows with NotAction.',
  why: "Least privilege: a service's identities get the actions they use, nothing a future API adds.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of identityStatements(r)) {
      if (s.effect !== "Allow") continue;
      const wildcards = s.actions.filter(isWildcardAction);
      if (wildcards.length) out.push(`${path} ${s.label} allows ${quoted(wildcards)}`);
      if (s.notActions !== undefined) out.push(`${path} ${s.label} allows with NotAction`);
    }
    return out;
  },
};

const iamNoWildcardResource: ResourceRule = {
  scope: "resource",
  id: "iam-no-wildcard-resource",
  description: `No IAM policy statement Allows a scopable action on Resource "*" (or with NotResource); unscopable exceptions: ${UNSCOPED_ACTIONS.join(", ")}.`,
  why: "Least privilege: a service's identities reach only that service's buckets, images and jobs.",
  severity: "mandatory",
  types: [TYPES.iamRole, ...IAM_POLICY_TYPES],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of identityStatements(r)) {
      if (s.effect !== "Allow") continue;
      if (s.notResources !== undefined) out.push(`${path} ${s.label} allows with NotResource`);
      if (!s.resources.includes("*")) continue;
      const scopable = s.actions.filter((a) => !UNSCOPED_ACTIONS.includes(a));
      if (scopable.length)
        out.push(`${path} ${s.label} allows ${quoted(scopable)} on Resource "*"`);
    }
    return out;
  },
};

const iamTrustSpecificPrincipals: ResourceRule = {
  scope: "resource",
  id: "iam-trust-specific-principals",
  description:
    'Role trust policies name specific principals: no "*", no NotPrincipal, no whole account (":root" or an account id) without a Condition.',
  why: "Whoever a trust policy admits can act as the role; an open or account-wide trust hands that to everyone.",
  severity: "mandatory",
  types: [TYPES.iamRole],
  check(r) {
    const out: string[] = [];
    for (const { path, statement: s } of statementsOf(r, ["assumeRolePolicy"])) {
      if (s.effect !== "Allow") continue;
      if (isAnyPrincipal(s.principal)) out.push(`${path} ${s.label} trusts principal "*"`);
      if (s.notPrincipal !== undefined) out.push(`${path} ${s.label} trusts with NotPrincipal`);
      const roots = awsPrincipals(s.principal).filter(isAccountRoot);
      if (roots.length && !s.condition)
        out.push(
          `${path} ${s.label} trusts the whole account ${quoted(roots)} without a Condition`,
        );
    }
    return out;
  },
};

const githubNotPublic: ResourceRule = {
  scope: "resource",
  id: "github-repository-not-public",
  description: "GitHub repositories have visibility private or internal.",
  why: "Service code, pipelines and model details are company property.",
  severity: "mandatory",
  types: [TYPES.githubRepository],
  check(r) {
    const visibility = r.inputs.visibility;
    if (visibility === "private" || visibility === "internal") return [];
    if (visibility === undefined) {
      return isTrue(r.inputs.private)
        ? []
        : ["repository sets no visibility (GitHub's default is public)"];
    }
    return [`repository visibility is ${JSON.stringify(visibility)}`];
  },
};

const githubVulnerabilityAlerts: StackRule = {
  scope: "stack",
  id: "github-vulnerability-alerts",
  description:
    "Every GitHub repository that is not archived has a RepositoryVulnerabilityAlerts resource that does not disable them (or sets vulnerabilityAlerts: true).",
  why: "Dependabot alerts are how vulnerable dependencies of a service come to its team's attention.",
  severity: "mandatory",
  types: [TYPES.githubRepository],
  check(r, stack) {
    // An archived (decommissioned) repository is read-only: GitHub refuses alerts and rulesets on
    // it (terraform-provider-github v6.13.0 resource_github_repository_vulnerability_alerts.go,
    // resource_github_repository_ruleset.go), and nobody can push to it.
    if (isTrue(r.inputs.archived)) return [];
    if (isTrue(r.inputs.vulnerabilityAlerts)) return [];
    const alerts = stack.referencing(
      TYPES.githubVulnerabilityAlerts,
      "repository",
      referenceKeys(r, "name"),
    );
    if (alerts.some((a) => !isFalse(a.inputs.enabled))) return [];
    return alerts.length
      ? ["repository vulnerability alerts are disabled (enabled: false)"]
      : ["repository has no RepositoryVulnerabilityAlerts resource"];
  },
};

function atLeastOne(value: unknown): boolean {
  return typeof value === "number" && value >= 1;
}

/** An active branch ruleset on the default branch requiring a review and status checks. */
function rulesetProtects(ruleset: ResourceView, branch: string): boolean {
  const i = ruleset.inputs;
  if ((i.target ?? "branch") !== "branch" || i.enforcement !== "active") return false;
  const refName = record(record(i.conditions)?.refName);
  const includes = list(refName?.includes);
  const excludes = list(refName?.excludes);
  const names = ["~DEFAULT_BRANCH", `refs/heads/${branch}`];
  if (!includes.some((n) => n === "~ALL" || names.includes(String(n)))) return false;
  if (excludes.some((n) => names.includes(String(n)))) return false;
  const rules = record(i.rules);
  const reviews = record(rules?.pullRequest)?.requiredApprovingReviewCount;
  const checks = list(record(rules?.requiredStatusChecks)?.requiredChecks);
  return atLeastOne(reviews) && checks.length > 0;
}

function branchProtectionProtects(p: ResourceView, branch: string): boolean {
  if (p.inputs.pattern !== branch) return false;
  const reviews = record(list(p.inputs.requiredPullRequestReviews)[0]);
  const checks = record(list(p.inputs.requiredStatusChecks)[0]);
  return atLeastOne(reviews?.requiredApprovingReviewCount) && list(checks?.contexts).length > 0;
}

function branchProtectionV3Protects(p: ResourceView, branch: string): boolean {
  if (p.inputs.branch !== branch) return false;
  const reviews = record(p.inputs.requiredPullRequestReviews);
  const checks = record(p.inputs.requiredStatusChecks);
  const named = list(checks?.checks).length + list(checks?.contexts).length;
  return atLeastOne(reviews?.requiredApprovingReviewCount) && named > 0;
}

const githubDefaultBranchProtected: StackRule = {
  scope: "stack",
  id: "github-default-branch-protected",
  description:
    "Every GitHub repository that is not archived has, on its default branch (a BranchDefault's branch, else main), an active ruleset or branch protection requiring at least one approving review and named status checks.",
  why: "Changes reach the branch that trains and ships models only reviewed and with CI green.",
  severity: "mandatory",
  types: [TYPES.githubRepository],
  check(r, stack) {
    if (isTrue(r.inputs.archived)) return [];
    const keys = referenceKeys(r, "name");
    const declared = stack.referencing(TYPES.githubBranchDefault, "repository", keys);
    const branch = text(declared[0]?.inputs.branch) ?? "main";
    const protectedBy = [
      ...stack
        .referencing(TYPES.githubRuleset, "repository", keys)
        .filter((s) => rulesetProtects(s, branch)),
      ...stack
        .referencing(TYPES.githubBranchProtection, "repositoryId", keys)
        .filter((p) => branchProtectionProtects(p, branch)),
      ...stack
        .referencing(TYPES.githubBranchProtectionV3, "repository", keys)
        .filter((p) => branchProtectionV3Protects(p, branch)),
    ];
    return protectedBy.length
      ? []
      : [
          `default branch "${branch}" has no active ruleset or branch protection requiring an approving review and status checks`,
        ];
  },
};

/** Inputs of `r` that must hold a secret value: fixed per type, by name for dynamic resources. */
function secretValueInputs(r: ResourceView): string[] {
  if (r.type.startsWith(DYNAMIC_TYPE_PREFIX)) {
    return Object.keys(r.inputs).filter(
      (k) => k !== "__provider" && (k === "data" || k === "value" || SECRET_NAME.test(k)),
    );
  }
  return SECRET_VALUE_INPUTS[r.type] ?? [];
}

const noPlaintextSecrets: ResourceRule = {
  scope: "resource",
  id: "no-plaintext-secrets",
  description:
    "Secret values (GitHub Actions/Dependabot/Codespaces plaintextValue, Databricks secret stringValue, Drone secret data/value and credential-named inputs of dynamic resources) are Pulumi secrets.",
  why: "A plain value is written unencrypted to the state and shown in previews and logs.",
  severity: "mandatory",
  types: [...Object.keys(SECRET_VALUE_INPUTS)],
  typePrefixes: [DYNAMIC_TYPE_PREFIX],
  check(r) {
    // Policy packs receive secrets unwrapped: secretness is visible only in the offline plan.
    if (!r.secretsMasked) return [];
    return secretValueInputs(r)
      .filter((k) => r.inputs[k] !== undefined && r.inputs[k] !== SECRET_MASK)
      .map(
        (k) =>
          `input ${k} holds a plain value; pass it as a secret (pulumi.secret / config --secret)`,
      );
  },
};

/** The flags that hand a Drone secret to pull-request builds. */
const PULL_REQUEST_FLAGS = ["pullRequest", "pullRequestPush"] as const;

const droneSecretsNotForPullRequests: ResourceRule = {
  scope: "resource",
  id: "drone-secrets-not-for-pull-requests",
  description:
    "Drone secrets (a DroneSecret, and every entry of a DroneRepositorySecrets' exposure) set neither pullRequest nor pullRequestPush.",
  why: "A pull request's pipeline runs the code of its branch: a secret it can read is a secret anyone who can open a pull request can print.",
  severity: "mandatory",
  types: [TYPES.droneSecret, TYPES.droneRepositorySecrets],
  check(r) {
    const exposed = (where: string, flags: Record<string, unknown> | undefined) =>
      PULL_REQUEST_FLAGS.filter((k) => flags?.[k] === true).map(
        (k) => `${where}${k} is true: pull-request builds could read the secret`,
      );
    if (r.type === TYPES.droneSecret) return exposed("", r.inputs);
    const exposure = record(r.inputs.exposure) ?? {};
    return Object.keys(exposure)
      .sort()
      .flatMap((name) => exposed(`exposure.${name}.`, record(exposure[name])));
  },
};

/** Whether the stack is a production one: any of its taggable resources says so (components/tags.ts). */
const productionStacks = new WeakMap<StackIndex, boolean>();
function isProductionStack(stack: StackIndex): boolean {
  let known = productionStacks.get(stack);
  if (known === undefined) {
    known = TAGGABLE_TYPES.some((type) =>
      stack.ofType(type).some((r) => record(r.inputs.tags)?.production === "true"),
    );
    productionStacks.set(stack, known);
  }
  return known;
}

const droneNothingInProduction: StackRule = {
  scope: "stack",
  id: "drone-nothing-in-production",
  description:
    'A stack whose resources are tagged production "true" declares no Drone repository and no Drone secret (single or set).',
  why: "Drone hands a repository's secrets to push builds of every branch (pull_request_push is never read: drone/drone operator/manager/manager.go) and promotes any build number with its own .drone.yml (handler/api/repos/builds/promote.go): a secret there is a secret anyone who can push a branch holds. Production receives images only by a reviewed pin.",
  severity: "mandatory",
  types: [TYPES.droneSecret, TYPES.droneRepositorySecrets, TYPES.droneRepository],
  check(r, stack) {
    return isProductionStack(stack)
      ? [
          `${r.type === TYPES.droneRepository ? "Drone repository" : "Drone secret"} in a production stack: anyone who can push a branch could use what it holds`,
        ]
      : [];
  },
};

const databricksSingleNodeShape: ResourceRule = {
  scope: "resource",
  id: "databricks-single-node-shape",
  description:
    "A job cluster with no workers (numWorkers 0, no autoscale) is a complete single-node cluster: spark.databricks.cluster.profile singleNode, spark.master local[...], custom tag ResourceClass SingleNode.",
  why: 'The Databricks provider refuses anything else ("NumWorkers could be 0 only for SingleNode clusters": terraform-provider-databricks clusters/clusters_api.go, Cluster.Validate).',
  severity: "mandatory",
  types: [TYPES.databricksJob],
  check(r) {
    const out: string[] = [];
    list(r.inputs.tasks).forEach((task, i) => {
      const cluster = record(record(task)?.newCluster);
      if (!cluster || cluster.numWorkers !== 0 || cluster.autoscale !== undefined) return;
      const conf = record(cluster.sparkConf) ?? {};
      const tags = record(cluster.customTags) ?? {};
      const complete =
        conf["spark.databricks.cluster.profile"] === "singleNode" &&
        (text(conf["spark.master"]) ?? "").startsWith("local") &&
        tags.ResourceClass === "SingleNode";
      if (!complete)
        out.push(
          `tasks[${i}].newCluster has numWorkers 0 without the single-node profile, local master and ResourceClass tag`,
        );
    });
    return out;
  },
};

const databricksJobPermissions: StackRule = {
  scope: "stack",
  id: "databricks-job-permissions",
  description: "Every Databricks job has a Permissions resource whose jobId is the job's id.",
  why: "Without explicit permissions only the creator manages the job; the team could not run or fix it.",
  severity: "mandatory",
  types: [TYPES.databricksJob],
  check(r, stack) {
    const permissions = stack.referencing(TYPES.databricksPermissions, "jobId", [r.id]);
    return permissions.length ? [] : ["job has no Permissions resource with its jobId"];
  },
};

/** A credential-named value that is not a {{secrets/<scope>/<key>}} reference. */
function plainCredential(name: string, value: unknown): boolean {
  return (
    SECRET_NAME.test(name) &&
    value !== "" &&
    !(typeof value === "string" && SECRET_REFERENCE.test(value))
  );
}

/** Positional task parameters: "--token x", "--token=x", "TOKEN=x". */
function positionalViolations(path: string, parameters: unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < parameters.length; i++) {
    const p = parameters[i];
    if (typeof p !== "string") continue;
    const assigned = /^(?:--?)?([A-Za-z_][\w.-]*)=(.*)$/s.exec(p);
    if (assigned) {
      if (plainCredential(assigned[1], assigned[2])) out.push(`${path}[${i}] (${assigned[1]})`);
      continue;
    }
    const flag = /^--?([A-Za-z_][\w.-]*)$/.exec(p);
    const next = parameters[i + 1];
    if (
      flag &&
      typeof next === "string" &&
      !next.startsWith("-") &&
      plainCredential(flag[1], next)
    ) {
      out.push(`${path}[${i + 1}] (${flag[1]})`);
    }
  }
  return out;
}

function namedViolations(path: string, values: unknown): string[] {
  return Object.entries(record(values) ?? {})
    .filter(([k, v]) => plainCredential(k, v))
    .map(([k]) => `${path}.${k}`);
}

function clusterViolations(path: string, cluster: unknown): string[] {
  return namedViolations(`${path}.sparkEnvVars`, record(cluster)?.sparkEnvVars);
}

const databricksNoPlainSecrets: ResourceRule = {
  scope: "resource",
  id: "databricks-no-plain-secrets",
  description:
    "Databricks job parameters, task parameters and sparkEnvVars whose names look like credentials (TOKEN, PASSWORD, SECRET, API_KEY...) hold only {{secrets/<scope>/<key>}} references.",
  why: "Job settings are readable by everyone who can view the job, and are kept in run history.",
  severity: "mandatory",
  types: [TYPES.databricksJob, TYPES.databricksCluster],
  check(r) {
    const i = r.inputs;
    const where: string[] = [];
    if (r.type === TYPES.databricksCluster) where.push(...clusterViolations("cluster", i));
    list(i.parameters).forEach((p, n) => {
      const param = record(p);
      const name = text(param?.name);
      if (name && plainCredential(name, param?.default))
        where.push(`parameters[${n}].default (${name})`);
    });
    list(i.jobClusters).forEach((c, n) =>
      where.push(...clusterViolations(`jobClusters[${n}].newCluster`, record(c)?.newCluster)),
    );
    list(i.tasks).forEach((t, n) => {
      const task = record(t) ?? {};
      const at = `tasks[${n}]`;
      where.push(...clusterViolations(`${at}.newCluster`, task.newCluster));
      for (const kind of [
        "sparkPythonTask",
        "sparkJarTask",
        "pythonWheelTask",
        "sparkSubmitTask",
      ]) {
        where.push(
          ...positionalViolations(`${at}.${kind}.parameters`, list(record(task[kind])?.parameters)),
        );
      }
      where.push(
        ...namedViolations(
          `${at}.notebookTask.baseParameters`,
          record(task.notebookTask)?.baseParameters,
        ),
      );
      where.push(
        ...namedViolations(
          `${at}.pythonWheelTask.namedParameters`,
          record(task.pythonWheelTask)?.namedParameters,
        ),
      );
    });
    return where.map(
      (w) => `${w} holds a plain value; reference a secret as {{secrets/<scope>/<key>}}`,
    );
  },
};

const requiredTags: ResourceRule = {
  scope: "resource",
  id: "required-tags",
  description: `Taggable resources (${TAGGABLE_TYPES.join(", ")}) carry non-empty ${REQUIRED_TAGS.join(", ")} tags.`,
  why: "Cost, ownership and incident routing are answered from tags.",
  severity: "mandatory",
  types: TAGGABLE_TYPES,
  check(r) {
    const tags = record(r.inputs.tags) ?? {};
    const missing = REQUIRED_TAGS.filter((t) => typeof tags[t] !== "string" || tags[t] === "");
    return missing.length ? [`resource is missing the tag(s) ${missing.join(", ")}`] : [];
  },
};

const dataRetained: ResourceRule = {
  scope: "resource",
  id: "data-retained",
  description: `Data-bearing resources (${[...DATA_BEARING_TYPES].join(", ")}) set retainOnDelete or protect.`,
  why: "Removing or renaming a catalog entry must never delete buckets, images, repositories, experiments or models.",
  severity: "mandatory",
  types: [...DATA_BEARING_TYPES],
  check(r) {
    // The policy analyzer protocol does not carry retainOnDelete (undefined): only protect is checked there.
    if (r.protect || r.retainOnDelete !== false) return [];
    return ["data-bearing resource sets neither retainOnDelete nor protect"];
  },
};

/** Every rule, in the order the documentation lists them. */
export const RULES: readonly Rule[] = [
  s3PublicAccessBlock,
  s3PublicAccessBlockPresent,
  s3Encryption,
  s3Versioning,
  s3TlsOnly,
  noPublicPrincipal,
  s3NoForceDestroy,
  ecrScanOnPush,
  ecrImmutableTags,
  ecrEncryption,
  ecrLifecyclePolicy,
  policyDocumentValid,
  iamNoWildcardAction,
  iamNoWildcardResource,
  iamTrustSpecificPrincipals,
  githubNotPublic,
  githubVulnerabilityAlerts,
  githubDefaultBranchProtected,
  noPlaintextSecrets,
  droneSecretsNotForPullRequests,
  droneNothingInProduction,
  databricksSingleNodeShape,
  databricksJobPermissions,
  databricksNoPlainSecrets,
  requiredTags,
  dataRetained,
];

/** Does `rule` check resources of `type`? */
export function ruleApplies(rule: Rule, type: string): boolean {
  return rule.types.includes(type) || (rule.typePrefixes ?? []).some((p) => type.startsWith(p));
}
