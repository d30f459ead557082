/**
 * The rule framework: what a rule is (a resource rule looks at one resource; a stack rule looks at
 * one resource and the stack around it, through an index built once), which types it applies to,
 * and the helpers the domains' rules share. A check returns the violation messages; an empty list
 * means compliant.
 */
import { parsePolicyDocument, Statement } from "./policy-document";
import { TYPES } from "./shared";
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

/** Identifiers other resources use to point at `r`: its id and its physical name input. */
export function referenceKeys(r: ResourceView, nameInput: string): (string | undefined)[] {
  return [r.id, text(r.inputs[nameInput])];
}

/** Every policy document a resource declares, with the input path that holds it. */
export function policyDocuments(r: ResourceView): { path: string; document: unknown }[] {
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
export function statementsOf(
  r: ResourceView,
  paths?: string[],
): { path: string; statement: Statement }[] {
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
export function identityStatements(r: ResourceView): { path: string; statement: Statement }[] {
  return statementsOf(r).filter((s) => s.path !== "assumeRolePolicy");
}

export function quoted(values: string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

export function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

export function isFalse(value: unknown): boolean {
  return value === false || value === "false";
}

/** Every resource of `types` whose input `key` points at one of `targets`. */
export function referencingAny(
  stack: StackIndex,
  types: readonly string[],
  key: string,
  targets: (string | undefined)[],
): ResourceView[] {
  return types.flatMap((t) => stack.referencing(t, key, targets));
}

/** Does `rule` check resources of `type`? */
export function ruleApplies(rule: Rule, type: string): boolean {
  return rule.types.includes(type) || (rule.typePrefixes ?? []).some((p) => type.startsWith(p));
}
