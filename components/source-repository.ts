import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { dataResourceOptions } from "./tags";
import {
  GitHubOrganisation,
  githubTopics,
  RepositoryFeatures,
  repositoryFeatures,
} from "./github/features";

/** Status checks Drone reports and the default branch requires. */
export const REQUIRED_STATUS_CHECKS = ["continuous-integration/drone/pr"];

export interface SourceRepositoryArgs {
  /** Repository name (from catalog/names.ts). */
  repositoryName: string;
  /** Id of an existing repository to adopt (Pulumi `import`: its name), instead of creating one. */
  importId?: string;
  description: string;
  /** private or internal; never public. internal needs the enterprise plan (checked by the catalog). */
  visibility: "private" | "internal";
  /** Topics; one longer than GitHub's 50 characters (a long team slug) is cut (githubTopics). */
  topics: string[];
  /** GitHub team slug given maintain access. */
  teamSlug: string;
  /**
   * Whether secret scanning and push protection are wanted (default true). They are declared only
   * where `organisation` allows them (repositoryFeatures); without `organisation`, as given.
   */
  secretScanning?: boolean;
  /**
   * What the organisation's plan and licences allow (stack settings `githubPlan` and
   * `githubSecretProtection`): the ruleset, secret scanning and internal visibility are planned
   * from it. Without it (older callers) the ruleset is declared and secret scanning is as given.
   */
  organisation?: GitHubOrganisation;
  /**
   * The default branch the files are rendered for (stack setting `githubDefaultBranch`, default
   * main). GitHub gives a new repository the organisation's default branch; the repository's
   * actual one is `githubDefaultBranch`, and the first commit checks that they agree.
   */
  defaultBranch?: string;
  /** Mark the repository `protect`. Defaults to false. */
  protect?: boolean;
  /**
   * Archive the repository now (read-only on GitHub): set when the service is decommissioned.
   * `archiveOnDestroy` alone never runs here: it acts in the provider's delete, which
   * `retainOnDelete` skips.
   */
  archived?: boolean;
}

export { githubTopics, repositoryFeatures } from "./github/features";
export type { GitHubOrganisation, GitHubPlan } from "./github/features";

/**
 * The service's GitHub repository: private (or internal), retained and never deleted, vulnerability
 * alerts on, the team's access. The default branch is protected by `protectDefaultBranch`, called
 * once the initial content is committed (so creation can commit without a pull request), where
 * the organisation's plan allows rulesets.
 *
 * Archival: terraform-provider-github archives a repository with `archive_on_destroy` only inside
 * its delete (v6.13.0 github/resource_github_repository.go, resourceGithubRepositoryDelete), and
 * Pulumi never calls the provider's delete of a `retainOnDelete` resource: removing the resource
 * from the program archives nothing. So a decommissioned service's repository is archived
 * explicitly, `archived: true` (resourceGithubRepositoryUpdate sends it; afterwards every other
 * update of an archived repository is skipped: "Skipping update of archived repository"). Its
 * vulnerability alerts are then no longer declared: the provider refuses to create them on an
 * archived repository and its read fails "repository ... is archived, please remove the resource
 * from your configuration" (github/resource_github_repository_vulnerability_alerts.go); their
 * delete, like the ruleset's and the team access's, is skipped by the provider when GitHub answers
 * that the repository is archived (handleArchivedRepoDelete in github/util_repo.go).
 */
export class SourceRepository extends pulumi.ComponentResource {
  public readonly repository: github.Repository;
  public readonly repositoryName: pulumi.Output<string>;
  public readonly htmlUrl: pulumi.Output<string>;
  /** The branch the files are rendered for (plain: the renderer needs it when the program runs). */
  public readonly defaultBranch: string;
  /**
   * The repository's default branch as GitHub made it (the organisation's setting): the
   * repository resource's `defaultBranch` output. Pass it to RepositoryContent as
   * `repositoryDefaultBranch`, so the first commit checks it against `defaultBranch`.
   */
  public readonly githubDefaultBranch: pulumi.Output<string>;
  /** The features planned for this repository from the organisation's plan and licences. */
  public readonly features: RepositoryFeatures;
  public readonly archived: boolean;
  private readonly logicalName: string;

  constructor(
    name: string,
    args: SourceRepositoryArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:github:SourceRepository", name, {}, opts);
    this.logicalName = name;
    const { defaultBranch = "main", protect = false, archived = false } = args;
    this.defaultBranch = defaultBranch;
    this.archived = archived;
    const wanted = args.secretScanning ?? true;
    const topics = githubTopics(args.topics);
    if (topics.problems.length > 0) {
      throw new Error(`SourceRepository ${name}: ${topics.problems.join("; ")}`);
    }
    const allowed = args.organisation
      ? repositoryFeatures(args.organisation, args.visibility)
      : { ruleset: true, secretScanning: true };
    this.features = {
      ruleset: allowed.ruleset,
      secretScanning: allowed.secretScanning && wanted,
    };
    const enabled = { status: "enabled" };

    this.repository = new github.Repository(
      name,
      {
        name: args.repositoryName,
        description: args.description.replace(/\s+/g, " ").slice(0, 350),
        visibility: args.visibility,
        topics: topics.topics,
        autoInit: true,
        archiveOnDestroy: true,
        ...(archived ? { archived: true } : {}),
        hasIssues: true,
        hasWiki: false,
        hasProjects: false,
        allowMergeCommit: false,
        allowRebaseMerge: false,
        allowSquashMerge: true,
        deleteBranchOnMerge: true,
        securityAndAnalysis: this.features.secretScanning
          ? { secretScanning: enabled, secretScanningPushProtection: enabled }
          : undefined,
      },
      { parent: this, ...dataResourceOptions(protect), import: args.importId },
    );
    if (!archived) {
      new github.RepositoryVulnerabilityAlerts(
        `${name}-vulnerability-alerts`,
        { repository: this.repository.name, enabled: true },
        { parent: this },
      );
    }
    new github.TeamRepository(
      `${name}-team`,
      { teamId: args.teamSlug, repository: this.repository.name, permission: "maintain" },
      { parent: this },
    );

    this.repositoryName = this.repository.name;
    this.htmlUrl = this.repository.htmlUrl;
    // Reads the default branch GitHub made; only setting it is deprecated (github.BranchDefault).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    this.githubDefaultBranch = this.repository.defaultBranch;
    this.registerOutputs({ repositoryName: this.repositoryName, htmlUrl: this.htmlUrl });
  }

  /**
   * Ruleset on the default branch: changes only through pull requests with one approving review
   * (code owners), the CI status checks green, no force pushes, no deletion. None (undefined, with
   * a warning) where the plan has no rulesets for private repositories (free), and none on an
   * archived repository (the provider refuses: "cannot create ruleset on archived repository",
   * v6.13.0 github/resource_github_repository_ruleset.go).
   */
  protectDefaultBranch(
    dependsOn: pulumi.Input<pulumi.Resource>[] = [],
  ): github.RepositoryRuleset | undefined {
    if (this.archived) return undefined;
    if (!this.features.ruleset) {
      pulumi.log.warn(
        "the organisation's GitHub plan (mlplatform:githubPlan: free) has no rulesets for private repositories: the default branch is NOT protected (GitHub Team or Enterprise has them)",
        this,
      );
      return undefined;
    }
    return new github.RepositoryRuleset(
      `${this.logicalName}-default-branch`,
      {
        name: "default-branch",
        repository: this.repository.name,
        target: "branch",
        enforcement: "active",
        conditions: { refName: { includes: ["~DEFAULT_BRANCH"], excludes: [] } },
        rules: {
          deletion: true,
          nonFastForward: true,
          pullRequest: {
            requiredApprovingReviewCount: 1,
            requireCodeOwnerReview: true,
            dismissStaleReviewsOnPush: true,
            requiredReviewThreadResolution: true,
          },
          requiredStatusChecks: {
            requiredChecks: REQUIRED_STATUS_CHECKS.map((context) => ({ context })),
            strictRequiredStatusChecksPolicy: true,
          },
        },
      },
      { parent: this, dependsOn },
    );
  }
}
