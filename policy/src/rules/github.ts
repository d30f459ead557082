/**
 * GitHub repositories: not public, vulnerability alerts on, the default branch protected.
 */
import { isFalse, isTrue, referenceKeys, ResourceRule, StackRule } from "../framework";
import { TYPES } from "../shared";
import { list, record, ResourceView, text } from "../view";

export const githubNotPublic: ResourceRule = {
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

export const githubVulnerabilityAlerts: StackRule = {
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

export const githubDefaultBranchProtected: StackRule = {
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
