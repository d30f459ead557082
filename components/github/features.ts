/**
 * What a GitHub organisation's plan and licences allow a service repository to have, and GitHub's
 * rules on topics: pure functions, no Pulumi. Each rule cites where GitHub states it. The refusals
 * of a stack's settings or an entry's visibility are the catalog validation's (catalog/github.ts):
 * a SourceRepository is given validated values.
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
