/**
 * Secret values of GitHub, Databricks and Drone resources: always Pulumi secrets. Also the
 * credential-name patterns the Databricks rules share.
 */
import { ResourceRule } from "../framework";
import { DYNAMIC_TYPE_PREFIX, SECRET_MASK, TYPES } from "../shared";
import { ResourceView } from "../view";

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

/** Inputs of `r` that must hold a secret value: fixed per type, by name for dynamic resources. */
function secretValueInputs(r: ResourceView): string[] {
  if (r.type.startsWith(DYNAMIC_TYPE_PREFIX)) {
    return Object.keys(r.inputs).filter(
      (k) => k !== "__provider" && (k === "data" || k === "value" || SECRET_NAME.test(k)),
    );
  }
  return SECRET_VALUE_INPUTS[r.type] ?? [];
}

export const noPlaintextSecrets: ResourceRule = {
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
