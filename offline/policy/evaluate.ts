/**
 * Applies every rule to every resource of an offline plan. Linear in the number of resources: one
 * pass builds the views and the stack index, one pass runs the rules that apply to each type.
 */
import type { PlanDocument, PlanFinding, PlanResource } from "../plan/types";
import { Rule, ruleApplies, RULES } from "../../policy/src/rules";
import { ResourceView, StackIndex } from "../../policy/src/view";

/**
 * The rule view of a plan resource: secrets are masked there, and retainOnDelete is known. The id
 * is the one the engine answered, recorded by the plan (withEngineId); never recomputed here.
 */
export function planResourceView(r: PlanResource): ResourceView {
  return {
    urn: r.urn,
    type: r.type,
    name: r.name,
    inputs: r.inputs,
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    id: r.id,
    secretsMasked: true,
  };
}

function compare(a: PlanFinding, b: PlanFinding): number {
  const ka = [a.urn, a.policy, a.message];
  const kb = [b.urn, b.policy, b.message];
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  }
  return 0;
}

/** Findings of `rules` (every rule by default) over the plan, sorted by URN, rule id and message. */
export function evaluatePolicies(doc: PlanDocument, rules: readonly Rule[] = RULES): PlanFinding[] {
  const entries: { view: ResourceView; service?: string }[] = [];
  for (const r of doc.platform.resources) {
    if (r.custom) entries.push({ view: planResourceView(r) });
  }
  for (const s of doc.services) {
    for (const r of s.resources) {
      if (r.custom) entries.push({ view: planResourceView(r), service: s.name });
    }
  }
  const stack = new StackIndex(entries.map((e) => e.view));
  const rulesByType = new Map<string, Rule[]>();
  const findings: PlanFinding[] = [];
  for (const { view, service } of entries) {
    let applicable = rulesByType.get(view.type);
    if (!applicable) {
      applicable = rules.filter((rule) => ruleApplies(rule, view.type));
      rulesByType.set(view.type, applicable);
    }
    for (const rule of applicable) {
      const messages = rule.scope === "stack" ? rule.check(view, stack) : rule.check(view);
      for (const message of messages) {
        findings.push({
          policy: rule.id,
          severity: rule.severity,
          ...(service !== undefined ? { service } : {}),
          urn: view.urn,
          message,
        });
      }
    }
  }
  return findings.sort(compare);
}

/** True when a finding must stop the deployment (the plan exits 1). */
export function hasMandatoryFindings(findings: PlanFinding[]): boolean {
  return findings.some((f) => f.severity === "mandatory");
}
