/**
 * Guards a plan diff against losing data by a catalog edit: removing a service from a protected
 * stack (protectData, i.e. prod) needs an explicit step, a rename of `name` is explained, and a
 * deleted data-bearing resource is always refused. Pure: the plan command decides the exit code.
 */
import { DATA_BEARING_TYPES, PlanDiff, unretainedDataDeletions } from "./diff";
import { PlanDocument } from "./types";

/** The plan flag that acknowledges removals: `--allow-removal a,b`. */
export const ALLOW_REMOVAL_FLAG = "allow-removal";

export interface RemovalGuardOptions {
  /** The stack's protectData setting (on in prod). */
  protectData: boolean;
  /** Services whose removal the user acknowledged with --allow-removal. */
  allowRemoval: readonly string[];
}

export interface RemovalReport {
  /** Problems that make the plan fail (exit 1), one line each. */
  problems: string[];
  /** Explanations that do not fail the plan (a rename, an acknowledged removal). */
  notes: string[];
}

/** Removed and added services that look like one service renamed: same team and template. */
function renamePairs(
  base: PlanDocument,
  current: PlanDocument,
  diff: PlanDiff,
): [string, string][] {
  const status = new Map(diff.groups.map((g) => [g.name, g.status]));
  const removed = base.services.filter((s) => status.get(s.name) === "removed");
  const added = current.services.filter((s) => status.get(s.name) === "added");
  const pairs: [string, string][] = [];
  for (const old of removed) {
    const match = added.find(
      (s) =>
        s.team === old.team &&
        s.template === old.template &&
        (s.description === old.description || s.displayName === old.displayName),
    );
    if (match) pairs.push([old.name, match.name]);
  }
  return pairs;
}

const DATA_LABELS: Record<string, string> = {
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:ecr/repository:Repository": "ECR repository",
  "github:index/repository:Repository": "GitHub repository",
  "databricks:index/mlflowExperiment:MlflowExperiment": "MLflow experiment",
  "databricks:index/mlflowModel:MlflowModel": "MLflow workspace-registry model",
  "databricks:index/registeredModel:RegisteredModel": "Unity Catalog registered model",
  "databricks:index/directory:Directory": "workspace folder",
};

/** "2 S3 buckets, 1 ECR repository, ..." in a fixed order. */
function describeData(types: string[]): string {
  return Object.entries(DATA_LABELS)
    .map(([type, label]) => [types.filter((t) => t === type).length, label] as const)
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${n} ${label}${n === 1 ? "" : "s"}`)
    .join(", ");
}

export function checkRemovals(
  base: PlanDocument,
  current: PlanDocument,
  diff: PlanDiff,
  options: RemovalGuardOptions,
): RemovalReport {
  const problems: string[] = [];
  const notes: string[] = [];
  const stack = current.stack;

  for (const r of unretainedDataDeletions(diff)) {
    problems.push(
      `${r.type} ${r.name}: would be deleted with its data (data-bearing resources must be retained; this is a bug in the components, not in the catalog)`,
    );
  }

  const renamedTo = new Map(renamePairs(base, current, diff));
  for (const [from, to] of renamedTo) {
    notes.push(
      `service "${from}" is removed and "${to}" added: name is immutable, so this is a new service, not a rename. The data of "${from}" stays in the cloud, unmanaged, and "${to}" starts empty. To change what people see, change displayName and keep name.`,
    );
  }

  const removedGroups = diff.groups.filter((g) => g.status === "removed" && g.name !== "platform");
  const allowed = new Set(options.allowRemoval);
  for (const group of removedGroups) {
    const before = base.services.find((s) => s.name === group.name);
    const data = group.retained.filter((r) => DATA_BEARING_TYPES.has(r.type));
    const what = `its data (${describeData(data.map((r) => r.type))})`;
    if (before?.decommissioned) {
      notes.push(
        `service "${group.name}" was decommissioned and is now removed from stack ${stack}: ${what} stay in the cloud, no longer managed.`,
      );
    } else if (allowed.has(group.name)) {
      notes.push(
        `service "${group.name}" is removed from stack ${stack} (acknowledged with --${ALLOW_REMOVAL_FLAG}): ${what} stay in the cloud, no longer managed.`,
      );
    } else if (options.protectData) {
      const file = before?.file || `services/${group.name}.yaml`;
      const rename = renamedTo.get(group.name);
      problems.push(
        `${file}: service "${group.name}" is removed from protected stack ${stack}${rename ? ` (renamed to "${rename}"?)` : ""}: ${what} would be left unmanaged. First set decommissioned: true in its entry and deploy, then remove it; or acknowledge with --${ALLOW_REMOVAL_FLAG} ${group.name}`,
      );
    }
  }
  // The first environment owns the repository, its files and its Drone activation: reordering
  // `environments` would delete them in one stack and create a second repository in another.
  const moved = new Set<string>();
  for (const now of current.services) {
    const before = base.services.find((s) => s.name === now.name);
    const [from, to] = [before?.environments[0], now.environments[0]];
    if (!from || !to || from === to) continue;
    moved.add(now.name);
    if (allowed.has(now.name)) {
      notes.push(
        `service "${now.name}" moves its first environment from ${from} to ${to} (acknowledged with --${ALLOW_REMOVAL_FLAG}): its repository, template files and Drone activation leave ${from}'s stack (the repository is retained) and ${to}'s stack creates them.`,
      );
    } else {
      problems.push(
        `${now.file || `services/${now.name}.yaml`}: environments: the first environment of "${now.name}" changes from ${from} to ${to}; the first environment owns the repository, its files and its Drone activation, so this would move them. Keep ${from} first, or acknowledge with --${ALLOW_REMOVAL_FLAG} ${now.name}`,
      );
    }
  }
  const removedNames = new Set([...removedGroups.map((g) => g.name), ...moved]);
  for (const name of allowed) {
    if (!removedNames.has(name)) {
      problems.push(
        `--${ALLOW_REMOVAL_FLAG} ${name}: service "${name}" is not removed by this change (drop it from the flag)`,
      );
    }
  }
  return { problems, notes };
}

/** Parses the value of --allow-removal: a comma-separated list of service names. */
export function parseAllowRemoval(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(",").map((s) => s.trim()))].filter((s) => s !== "");
}
