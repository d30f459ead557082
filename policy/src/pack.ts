/**
 * The rules as @pulumi/policy policies: resource rules become resource policies, stack rules stack
 * policies, each calling the same check as the offline plan on a view of the analyzer's resource.
 * policy/index.ts hands these to `new PolicyPack("mlplatform", ...)`; the tests import them
 * through policy/src/pack.ts.
 */
import type {
  Policies,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { ResourceRule, Rule, ruleApplies, RULES, StackRule } from "./rules";
import { ResourceView, StackIndex } from "./view";

export const POLICY_PACK_NAME = "mlplatform";

/**
 * The rule view of an analyzer resource. Secrets arrive unwrapped and retainOnDelete is not part of
 * the analyzer protocol; `inputs` stays the SDK's proxy, so an unknown value is only touched (and
 * reported by the SDK as "can't run during preview") when a rule reads it.
 */
export function analyzerResourceView(
  r: Pick<ResourceValidationArgs | PolicyResource, "urn" | "type" | "name" | "props" | "opts">,
): ResourceView {
  const inputs = r.props as Record<string, unknown>;
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    inputs,
    protect: r.opts.protect === true,
    get id(): string | undefined {
      const id = inputs.id;
      return typeof id === "string" ? id : undefined;
    },
    secretsMasked: false,
  };
}

function describe(
  rule: Rule,
): Pick<ResourceValidationPolicy, "name" | "description" | "enforcementLevel"> {
  return {
    name: rule.id,
    description: `${rule.description} Why: ${rule.why}`,
    enforcementLevel: rule.severity,
  };
}

export function resourcePolicy(rule: ResourceRule): ResourceValidationPolicy {
  return {
    ...describe(rule),
    validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
      if (!ruleApplies(rule, args.type)) return;
      for (const message of rule.check(analyzerResourceView(args))) report(message);
    },
  };
}

export function stackPolicy(rule: StackRule): StackValidationPolicy {
  return {
    ...describe(rule),
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const views = args.resources.map(analyzerResourceView);
      const stack = new StackIndex(views);
      for (const view of views) {
        if (!ruleApplies(rule, view.type)) continue;
        for (const message of rule.check(view, stack)) report(message, view.urn);
      }
    },
  };
}

/** One policy per rule, in the rules' order. */
export function packPolicies(rules: readonly Rule[] = RULES): Policies {
  return rules.map((rule) => (rule.scope === "stack" ? stackPolicy(rule) : resourcePolicy(rule)));
}
