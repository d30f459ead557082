/**
 * What the catalog validation refuses about GitHub: a stack's settings its organisation's plan
 * cannot have, and a repository visibility the plan does not offer. Pure; each rule cites where
 * GitHub states it. The SourceRepository component is given only values that passed these checks.
 */

/** The organisation's plan (the stack setting `githubPlan`). */
export type GitHubPlan = "free" | "team" | "enterprise";

/** Service repositories are never public. */
export type RepositoryVisibility = "private" | "internal";

/**
 * Why a visibility is refused on this plan, or undefined. "Internal repositories are available on
 * GitHub Enterprise Cloud for organizations that are owned by an enterprise account and GitHub
 * Enterprise Server 2.20+" (github/docs data/reusables/gated-features/internal-repos.md).
 */
export function visibilityProblem(
  visibility: RepositoryVisibility,
  plan: GitHubPlan,
): string | undefined {
  if (visibility === "internal" && plan !== "enterprise") {
    return `visibility internal needs GitHub Enterprise (internal repositories exist only for organisations owned by an enterprise account); this stack's mlplatform:githubPlan is ${plan}: use visibility private`;
  }
  return undefined;
}

/**
 * Problems with the GitHub settings of a stack, one line each (without the file name): "GitHub
 * Secret Protection" is for "Organization-owned repositories on GitHub Team or GitHub Enterprise
 * Cloud" (github/docs data/reusables/gated-features/push-protection-for-repos.md), so it cannot
 * be on with the free plan.
 */
export function githubSettingsProblems(settings: {
  githubPlan: GitHubPlan;
  githubSecretProtection?: boolean;
}): string[] {
  if (settings.githubSecretProtection === true && settings.githubPlan === "free") {
    return [
      "mlplatform:githubSecretProtection: GitHub Secret Protection is available only with githubPlan team or enterprise (this stack says free)",
    ];
  }
  return [];
}
