/**
 * What a GitHub organisation's plan and licences allow a service repository to have, and GitHub's
 * rules on topics: pure functions, no Pulumi, so the catalog validation (lib/catalog) and the
 * components share them. Each rule cites where GitHub states it.
 */

/** The organisation's plan (the stack setting `githubPlan`). */
export type GitHubPlan = "free" | "team" | "enterprise";

/** What the organisation has: its plan and whether it has GitHub Secret Protection. */
export interface GitHubOrganisation {
  plan: GitHubPlan;
  /** GitHub Secret Protection (or the GitHub Advanced Security licence that includes it). */
  secretProtection: boolean;
}

/** Service repositories are never public. */
export type RepositoryVisibility = "private" | "internal";

/** The features the platform declares on one repository. */
export interface RepositoryFeatures {
  /** The default-branch ruleset. */
  ruleset: boolean;
  /** Secret scanning and push protection. */
  secretScanning: boolean;
}

/**
 * Features a private or internal repository of this organisation can have:
 *
 * - rulesets: "Rulesets are available in public repositories with GitHub Free and GitHub Free for
 *   organizations, and in public and private repositories with GitHub Pro, GitHub Team, and GitHub
 *   Enterprise Cloud" (github/docs data/reusables/gated-features/repo-rules.md, "About
 *   rulesets"): none on the free plan, whose repositories here are all private;
 * - secret scanning and push protection: "Organization-owned repositories on GitHub Team or GitHub
 *   Enterprise Cloud with GitHub Secret Protection enabled" (github/docs
 *   data/reusables/gated-features/push-protection-for-repos.md); the plan alone is not enough.
 *   terraform-provider-github v6.13.0 (github/resource_github_repository.go,
 *   security_and_analysis.secret_scanning): "If set to 'enabled', the repository's visibility must
 *   be 'public', 'security_and_analysis[0].advanced_security[0].status' must also be set to
 *   'enabled', or your Organization must have split licensing for Advanced security".
 */
export function repositoryFeatures(
  organisation: GitHubOrganisation,
  _visibility: RepositoryVisibility,
): RepositoryFeatures {
  const paid = organisation.plan !== "free";
  return { ruleset: paid, secretScanning: paid && organisation.secretProtection };
}

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
 * Problems with the GitHub settings of a stack, one line each (without the file name): Secret
 * Protection is sold for GitHub Team and GitHub Enterprise Cloud only (push-protection-for-repos.md
 * above), so it cannot be on with the free plan.
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

/**
 * GitHub's topic rules: "use lowercase letters, numbers, and hyphens; use 50 characters or less;
 * add no more than 20 topics" (docs.github.com, "Classifying your repository with topics"), and
 * the GitHub provider's own check of every topic, `^[a-z0-9][a-z0-9-]{0,49}$`
 * (terraform-provider-github v6.13.0 github/resource_github_repository.go, `topics`).
 */
export const TOPIC_LIMITS = {
  length: 50,
  count: 20,
  pattern: /^[a-z0-9][a-z0-9-]{0,49}$/,
} as const;

/**
 * The topics as GitHub accepts them: each longer than 50 characters is cut to 50 (then trailing
 * hyphens dropped), duplicates (also those the cut makes) removed, order kept. What cannot be
 * made valid so (a character outside a-z 0-9 -, a leading hyphen, more than 20 topics) is a
 * problem, one line each: the caller refuses it.
 */
export function githubTopics(topics: readonly string[]): { topics: string[]; problems: string[] } {
  const out: string[] = [];
  const problems: string[] = [];
  for (const raw of topics) {
    const topic =
      raw.length > TOPIC_LIMITS.length ? raw.slice(0, TOPIC_LIMITS.length).replace(/-+$/, "") : raw;
    if (!TOPIC_LIMITS.pattern.test(topic)) {
      problems.push(
        `topic ${JSON.stringify(raw.slice(0, 80))} is not a GitHub topic (lowercase letters, digits and hyphens, not starting with a hyphen, at most ${TOPIC_LIMITS.length} characters)`,
      );
      continue;
    }
    if (!out.includes(topic)) out.push(topic);
  }
  if (out.length > TOPIC_LIMITS.count) {
    problems.push(`${out.length} topics; GitHub allows at most ${TOPIC_LIMITS.count}`);
  }
  return { topics: out, problems };
}
