/**
 * Compares two plans: per service, which resources are added, removed and changed (with the input
 * paths that changed, and their old and new values). Linear in the size of the plans: one map per
 * side, keyed by URN.
 */
import { createHash } from "crypto";
import { PlanDocument, PlanResource, PlanService } from "./types";

/** Resource types that hold data; a catalog edit never deletes them (they are retained). */
export const DATA_BEARING_TYPES = new Set([
  "aws:s3/bucket:Bucket",
  "aws:ecr/repository:Repository",
  "github:index/repository:Repository",
  "databricks:index/mlflowExperiment:MlflowExperiment",
  "databricks:index/mlflowModel:MlflowModel",
  "databricks:index/registeredModel:RegisteredModel",
  "databricks:index/directory:Directory",
]);

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** Input paths whose values differ, e.g. schedule.quartzCronExpression. */
  paths: string[];
  /** The old and new value of each changed input path (secrets stay "[secret]"; long values shortened). */
  values: ValueChange[];
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
    if (paths.length > 0) changed.push({ urn, type: now.type, name: now.name, paths, values });
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

/** Removed data-bearing resources that are not retained: a catalog edit must never produce one. */
export function unretainedDataDeletions(diff: PlanDiff): PlanResource[] {
  return diff.groups.flatMap((g) => g.deleted.filter((r) => DATA_BEARING_TYPES.has(r.type)));
}
