/**
 * Resources an earlier release of the program declared that the current one replaced by others,
 * removed from a stack's state before `npm run up` (the cloud objects stay), so that no stack
 * needs hand-typed `pulumi state delete` commands after an upgrade.
 *
 * Why not aliases: an alias carries one resource over to a new name, type or parent (pulumi/pulumi
 * sdk/nodejs/resource.ts, `aliases`). These moves are many-to-one: eight per-secret Drone
 * resources became one DroneRepositorySecrets, one RepositoryFile per template file became one
 * GitCommit. Left in the state, `pulumi up` would create the new resource (which takes the
 * existing secrets or files over) and then delete the old ones, and their delete deletes the
 * secrets in Drone and the files in the repositories. Removing them from the state first is what
 * `pulumi state delete` does (pulumi/pulumi pkg/resource/edit/operations.go DeleteResource: it
 * refuses a protected resource and one that others depend on), done here on the exported
 * deployment and imported back (Automation API Stack.exportStack/importStack, sdk/nodejs/
 * automation/stack.ts; `pulumi stack import` verifies the snapshot's integrity, pkg/resource/
 * deploy/snapshot.go VerifyIntegrity: parents, dependencies, property dependencies and
 * deleted-with targets must all be in the state).
 */
import { DeployError } from "./errors";

/** One resource of an exported deployment (`pulumi stack export`, apitype.ResourceV3). */
export interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  id?: string;
  parent?: string;
  protect?: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  deletedWith?: string;
  provider?: string;
  [field: string]: unknown;
}

/** An exported deployment (apitype.UntypedDeployment: `{ version, deployment }`). */
export interface StateDeployment {
  version: number;
  deployment: { resources?: StateResource[]; [field: string]: unknown };
}

/** A resource type the program no longer declares, and what replaced it. */
export interface SupersededType {
  type: string;
  /** What declares the same cloud objects now. */
  replacedBy: string;
  /** What stays where it is when the old resources leave the state. */
  keeps: string;
}

/**
 * The types the current program never declares and whose delete would destroy what their
 * successor now manages (docs/drone.md, docs/templates.md).
 */
export const SUPERSEDED_TYPES: readonly SupersededType[] = [
  {
    type: "pulumi-nodejs:dynamic/drone:Secret",
    replacedBy: "one DroneRepositorySecrets per repository",
    keeps: "the secrets stay in Drone",
  },
  {
    type: "github:index/repositoryFile:RepositoryFile",
    replacedBy: "one GitCommit per repository",
    keeps: "the files stay in the repositories",
  },
];

export interface StateMigration {
  /** The deployment without the superseded resources (the input when there are none). */
  deployment: StateDeployment;
  /** URNs removed, in state order. */
  removed: string[];
  /** One line per superseded type found: how many, what replaced them, what stays. */
  summary: string[];
}

/** Thrown when a superseded resource cannot leave the state safely; nothing is changed. */
export class StateMigrationError extends DeployError {}

/** Every URN `resource` refers to (pulumi/pulumi resource.State GetAllDependencies, parent included). */
function referencesOf(resource: StateResource): string[] {
  return [
    ...(resource.parent ? [resource.parent] : []),
    ...(resource.dependencies ?? []),
    ...Object.values(resource.propertyDependencies ?? {}).flat(),
    ...(resource.deletedWith ? [resource.deletedWith] : []),
  ];
}

/**
 * The deployment without the superseded resources. Throws StateMigrationError (naming the URNs)
 * when one is protected or when a resource that stays refers to one: `pulumi state delete`
 * refuses both, and the migration does not decide for the user.
 */
export function withoutSuperseded(
  state: StateDeployment,
  types: readonly SupersededType[] = SUPERSEDED_TYPES,
): StateMigration {
  const resources = state.deployment.resources ?? [];
  const byType = new Map(types.map((t) => [t.type, t]));
  const condemned = resources.filter((r) => byType.has(r.type));
  if (condemned.length === 0) return { deployment: state, removed: [], summary: [] };

  const removed = new Set(condemned.map((r) => r.urn));
  const problems: string[] = [];
  for (const r of condemned) {
    if (r.protect) problems.push(`${r.urn} is protected`);
  }
  for (const r of resources) {
    if (removed.has(r.urn)) continue;
    for (const ref of referencesOf(r)) {
      if (removed.has(ref)) problems.push(`${r.urn} depends on ${ref}`);
    }
  }
  if (problems.length > 0) {
    throw new StateMigrationError([
      `the state holds ${condemned.length} resource(s) the program replaced, but they cannot leave the state safely (nothing was changed):`,
      ...problems.map((p) => `  - ${p}`),
    ]);
  }
  const summary = types.flatMap((t) => {
    const n = condemned.filter((r) => r.type === t.type).length;
    return n === 0 ? [] : [`${n} ${t.type} (replaced by ${t.replacedBy}; ${t.keeps})`];
  });
  return {
    deployment: {
      ...state,
      deployment: { ...state.deployment, resources: resources.filter((r) => !removed.has(r.urn)) },
    },
    removed: condemned.map((r) => r.urn),
    summary,
  };
}
