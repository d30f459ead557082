/**
 * Drone: secrets never reach pull-request builds, and production stacks hold nothing of Drone.
 */
import { ResourceRule, StackRule } from "../framework";
import { TYPES } from "../shared";
import { record, StackIndex } from "../view";
import { TAGGABLE_TYPES } from "./ownership";

/** The flags that hand a Drone secret to pull-request builds. */
const PULL_REQUEST_FLAGS = ["pullRequest", "pullRequestPush"] as const;

export const droneSecretsNotForPullRequests: ResourceRule = {
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

export const droneNothingInProduction: StackRule = {
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
