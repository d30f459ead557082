/**
 * Compares two plans: per service, which resources are added, removed and changed (with the input
 * paths that changed, and their old and new values). Linear in the size of the plans: one map per
 * side, keyed by URN.
 */
import { createHash } from "crypto";
import { DATA_BEARING_TYPES } from "../../policy/src/shared";
import { PlanDocument, PlanResource, PlanService } from "./types";

/** Resource types that hold data; a catalog edit never deletes them (they are retained). */
export { DATA_BEARING_TYPES };

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** Input paths whose values differ, e.g. schedule.quartzCronExpression. */
  paths: string[];
  /** The old and new value of each changed input path (secrets stay "[secret]"; long values shortened). */
  values: ValueChange[];
  /** Set when the change replaces the resource (a new one is created, the old one deleted). */
  replace?: Replacement;
}

export interface Replacement {
  /** The changed paths that force the replacement ("(option) replacementTrigger" included). */
  paths: string[];
  /** The old resource is deleted before its replacement is created (a gap, not an overlap). */
  deleteFirst: boolean;
}

/**
 * Input paths that the provider cannot change in place: a change replaces the resource. From each
 * provider's schema (Terraform `ForceNew` / `RequiresReplace`, or a dynamic provider's `replaces`);
 * "*" means every input (a resource without an update operation). Types not listed update in place.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
  // hashicorp/terraform-provider-aws internal/service/s3/bucket.go: bucket, bucket_prefix,
  // object_lock_enabled are ForceNew; the bucket_* configuration resources (bucket_policy.go,
  // bucket_versioning.go, bucket_lifecycle_configuration.go, ...) take `bucket` and
  // `expected_bucket_owner` as ForceNew / RequiresReplace.
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": [
    "bucket",
    "expectedBucketOwner",
  ],
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
  "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": [
    "bucket",
    "expectedBucketOwner",
  ],
  "aws:s3/bucketVersioning:BucketVersioning": ["bucket", "expectedBucketOwner"],
  // internal/service/ecr/repository.go: name and encryption_configuration are ForceNew.
  "aws:ecr/repository:Repository": ["name", "encryptionConfigurations"],
  // internal/service/ecr/lifecycle_policy.go: no update; policy and repository are ForceNew.
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": ["policy", "repository"],
  // internal/service/ecr/repository_policy.go: repository is ForceNew (the policy updates).
  "aws:ecr/repositoryPolicy:RepositoryPolicy": ["repository"],
  // internal/service/iam/role.go, instance_profile.go, role_policy.go: names (and the role of an
  // inline policy) are ForceNew; policies and trust documents update in place.
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/instanceProfile:InstanceProfile": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  // databricks/terraform-provider-databricks secrets/resource_secret_scope.go has no Update, so
  // common/resource.go marks every field ForceNew; resource_secret.go and resource_secret_acl.go
  // mark all their fields ForceNew.
  "databricks:index/secretScope:SecretScope": ["*"],
  "databricks:index/secret:Secret": ["key", "scope", "stringValue"],
  "databricks:index/secretAcl:SecretAcl": ["*"],
  // aws/resource_service_principal_role.go: a pair id of two ForceNew fields (common/pair.go).
  "databricks:index/servicePrincipalRole:ServicePrincipalRole": ["*"],
  // tokens/resource_service_principal_secret.go: service_principal_id and lifetime are force_new.
  "databricks:index/servicePrincipalSecret:ServicePrincipalSecret": [
    "servicePrincipalId",
    "lifetime",
  ],
  // scim/resource_service_principal.go: application_id is force_new.
  "databricks:index/servicePrincipal:ServicePrincipal": ["applicationId"],
  // catalog/resource_registered_model.go: name, catalog_name, schema_name, storage_location.
  "databricks:index/registeredModel:RegisteredModel": [
    "name",
    "catalogName",
    "schemaName",
    "storageLocation",
  ],
  // mlflow/resource_mlflow_experiment.go: artifact_location is ForceNew.
  "databricks:index/mlflowExperiment:MlflowExperiment": ["artifactLocation"],
  // workspace/resource_directory.go: path is ForceNew.
  "databricks:index/directory:Directory": ["path"],
  // permissions/resource_permissions.go: every object id field is ForceNew.
  "databricks:index/permissions:Permissions": ["jobId", "experimentId", "registeredModelId"],
  // catalog/resource_grant.go, resource_grants.go: the principal and the securable are ForceNew.
  "databricks:index/grant:Grant": ["principal", "catalog", "schema", "model"],
  "databricks:index/grants:Grants": ["catalog", "schema", "model"],
  // integrations/terraform-provider-github resource_github_repository_vulnerability_alerts.go,
  // resource_github_team_repository.go: repository (and team_id) are ForceNew. A repository's
  // name updates in place (a rename), so github:index/repository:Repository is not listed.
  "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts": ["repository"],
  "github:index/teamRepository:TeamRepository": ["teamId", "repository"],
  // pulumi/pulumi-command local.Command: "triggers: Trigger a resource replacement on changes to
  // any of these values" (node_modules/@pulumi/command/local/command.d.ts).
  "command:local:Command": ["triggers"],
  // The project's dynamic providers return these in `replaces` (components/drone/*-provider.ts,
  // components/github/commit-provider.ts: the *_IDENTITY_FIELDS; a test keeps them in step).
  "pulumi-nodejs:dynamic/drone:Repository": ["server", "owner", "name"],
  "pulumi-nodejs:dynamic/drone:RepositorySecrets": ["server", "repository"],
  "pulumi-nodejs:dynamic/github:Commit": ["apiUrl", "owner", "repository", "branch", "fromBranch"],
};

/**
 * Types whose component declares `deleteBeforeReplace: true` (components/drone/drone-repository.ts,
 * drone-repository-secrets.ts): the old one is deleted before the new one exists.
 */
export const DELETE_BEFORE_REPLACE_TYPES = new Set([
  "pulumi-nodejs:dynamic/drone:Repository",
  "pulumi-nodejs:dynamic/drone:RepositorySecrets",
]);

/** The changed paths of a resource of `type` that force its replacement. */
export function replacingPaths(type: string, paths: readonly string[]): string[] {
  const fields = REPLACE_ON_CHANGE[type] ?? [];
  return paths.filter(
    (p) =>
      p === "(option) replacementTrigger" ||
      (!p.startsWith("(option)") &&
        fields.some((f) => f === "*" || p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`))),
  );
}

export interface ValueChange {
  path: string;
  before: string;
  after: string;
}

/** Longest value shown whole in a diff; longer ones are cut and identified by a hash. */
const SHOWN_VALUE_LENGTH = 120;

/** A value as a reviewer reads it: strings as they are, the rest as JSON, long ones shortened. */
export function shownValue(value: unknown): string {
  if (value === undefined) return "(none)";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text.length <= SHOWN_VALUE_LENGTH) return text;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 12);
  return `${text.slice(0, 60)}... (${text.length} characters, sha256 ${hash})`;
}

/** The value at a path produced by diffPaths ("a.b[2].c"). */
function valueAt(root: unknown, path: string): unknown {
  if (path === "(value)") return root;
  let current: unknown = root;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export interface GroupDiff {
  /** Service name, or "platform". */
  name: string;
  status: "added" | "removed" | "changed" | "unchanged";
  added: PlanResource[];
  removed: PlanResource[];
  changed: ResourceChange[];
  /** For removed resources: data-bearing ones stay in the cloud (retainOnDelete). */
  retained: PlanResource[];
  /** Removed resources that are really deleted (compute, settings). */
  deleted: PlanResource[];
}

export interface PlanDiff {
  baseStack: string;
  stack: string;
  groups: GroupDiff[];
}

function diffPaths(a: unknown, b: unknown, prefix: string, out: string[]): void {
  if (a === b) return;
  const bothObjects = a && b && typeof a === "object" && typeof b === "object";
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) {
    out.push(prefix || "(value)");
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) diffPaths(a[i], b[i], `${prefix}[${i}]`, out);
    return;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of [...keys].sort()) {
    diffPaths(ra[key], rb[key], prefix ? `${prefix}.${key}` : key, out);
  }
}

/** An ignoreChanges path (`a.b[*].c`) as a pattern matching it and everything below it. */
function ignorePattern(path: string): RegExp {
  const escaped = path
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\\\[\\\*\\\]/g, "\\[\\d+\\]");
  return new RegExp(`^${escaped}(?:$|[.[])`);
}

export function diffGroup(
  name: string,
  base: PlanResource[] | undefined,
  current: PlanResource[] | undefined,
): GroupDiff {
  const before = new Map((base ?? []).filter((r) => r.custom).map((r) => [r.urn, r]));
  const after = new Map((current ?? []).filter((r) => r.custom).map((r) => [r.urn, r]));
  const added = [...after.values()].filter((r) => !before.has(r.urn));
  const removed = [...before.values()].filter((r) => !after.has(r.urn));
  const changed: ResourceChange[] = [];
  for (const [urn, now] of after) {
    const then = before.get(urn);
    if (!then) continue;
    const found: string[] = [];
    diffPaths(then.inputs, now.inputs, "", found);
    // A deployment leaves ignored inputs alone once the resource exists: they are no change.
    const ignored = (now.ignoreChanges ?? []).map(ignorePattern);
    const paths = found.filter((p) => !ignored.some((pattern) => pattern.test(p)));
    const values = paths.map((path) => ({
      path,
      before: shownValue(valueAt(then.inputs, path)),
      after: shownValue(valueAt(now.inputs, path)),
    }));
    if (then.protect !== now.protect) {
      paths.push("(option) protect");
      values.push({ path: "(option) protect", before: `${then.protect}`, after: `${now.protect}` });
    }
    const trigger = (r: PlanResource) => JSON.stringify(r.replacementTrigger ?? null);
    if (trigger(then) !== trigger(now)) {
      // The engine replaces the resource when this value changes.
      paths.push("(option) replacementTrigger");
      values.push({
        path: "(option) replacementTrigger",
        before: shownValue(then.replacementTrigger),
        after: shownValue(now.replacementTrigger),
      });
    }
    if (then.retainOnDelete !== now.retainOnDelete) {
      paths.push("(option) retainOnDelete");
      values.push({
        path: "(option) retainOnDelete",
        before: `${then.retainOnDelete}`,
        after: `${now.retainOnDelete}`,
      });
    }
    if (paths.length === 0) continue;
    const replacing = replacingPaths(now.type, paths);
    const change: ResourceChange = { urn, type: now.type, name: now.name, paths, values };
    if (replacing.length > 0) {
      change.replace = { paths: replacing, deleteFirst: DELETE_BEFORE_REPLACE_TYPES.has(now.type) };
    }
    changed.push(change);
  }
  const status = !base
    ? "added"
    : !current
      ? "removed"
      : added.length + removed.length + changed.length > 0
        ? "changed"
        : "unchanged";
  return {
    name,
    status,
    added,
    removed,
    changed,
    retained: removed.filter((r) => r.retainOnDelete),
    deleted: removed.filter((r) => !r.retainOnDelete),
  };
}

export function diffPlans(base: PlanDocument, current: PlanDocument): PlanDiff {
  const baseServices = new Map<string, PlanService>(base.services.map((s) => [s.name, s]));
  const currentServices = new Map<string, PlanService>(current.services.map((s) => [s.name, s]));
  const names = [...new Set([...baseServices.keys(), ...currentServices.keys()])].sort();
  const groups = [
    diffGroup("platform", base.platform.resources, current.platform.resources),
    ...names.map((n) =>
      diffGroup(n, baseServices.get(n)?.resources, currentServices.get(n)?.resources),
    ),
  ];
  return { baseStack: base.stack, stack: current.stack, groups };
}

/** Changed resources that the deployment replaces rather than updates. */
export function replacements(diff: PlanDiff): ResourceChange[] {
  return diff.groups.flatMap((g) => g.changed.filter((c) => c.replace));
}

/** Removed data-bearing resources that are not retained: a catalog edit must never produce one. */
export function unretainedDataDeletions(diff: PlanDiff): PlanResource[] {
  return diff.groups.flatMap((g) => g.deleted.filter((r) => DATA_BEARING_TYPES.has(r.type)));
}
