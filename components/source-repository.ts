import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { dataResourceOptions } from "./tags";

/** Status checks Drone reports and the default branch requires. */
export const REQUIRED_STATUS_CHECKS = ["continuous-integration/drone/pr"];

export interface SourceRepositoryArgs {
  /** Repository name (from lib/names.ts). */
  repositoryName: string;
  description: string;
  /** private or internal; never public. */
  visibility: "private" | "internal";
  topics: string[];
  /** GitHub team slug given maintain access. */
  teamSlug: string;
  /** Enable secret scanning and push protection (needs GitHub Advanced Security). */
  secretScanning: boolean;
  /** Default branch. Defaults to main. */
  defaultBranch?: string;
  /** Mark the repository `protect` (always archived, never deleted). Defaults to false. */
  protect?: boolean;
}

/**
 * The service's GitHub repository: private, archived on destroy, vulnerability alerts on, the team's
 * access. The default branch is protected by `protectDefaultBranch`, called once the initial
 * content is committed (so creation can commit without a pull request).
 */
export class SourceRepository extends pulumi.ComponentResource {
  public readonly repository: github.Repository;
  public readonly repositoryName: pulumi.Output<string>;
  public readonly htmlUrl: pulumi.Output<string>;
  public readonly defaultBranch: string;
  private readonly logicalName: string;

  constructor(
    name: string,
    args: SourceRepositoryArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:github:SourceRepository", name, {}, opts);
    this.logicalName = name;
    const { defaultBranch = "main", protect = false } = args;
    this.defaultBranch = defaultBranch;
    const enabled = { status: "enabled" };

    this.repository = new github.Repository(
      name,
      {
        name: args.repositoryName,
        description: args.description.replace(/\s+/g, " ").slice(0, 350),
        visibility: args.visibility,
        topics: args.topics,
        autoInit: true,
        archiveOnDestroy: true,
        hasIssues: true,
        hasWiki: false,
        hasProjects: false,
        allowMergeCommit: false,
        allowRebaseMerge: false,
        allowSquashMerge: true,
        deleteBranchOnMerge: true,
        securityAndAnalysis: args.secretScanning
          ? { secretScanning: enabled, secretScanningPushProtection: enabled }
          : undefined,
      },
      { parent: this, ...dataResourceOptions(protect) },
    );
    new github.RepositoryVulnerabilityAlerts(
      `${name}-vulnerability-alerts`,
      { repository: this.repository.name, enabled: true },
      { parent: this },
    );
    new github.TeamRepository(
      `${name}-team`,
      { teamId: args.teamSlug, repository: this.repository.name, permission: "maintain" },
      { parent: this },
    );

    this.repositoryName = this.repository.name;
    this.htmlUrl = this.repository.htmlUrl;
    this.registerOutputs({ repositoryName: this.repositoryName, htmlUrl: this.htmlUrl });
  }

  /**
   * Ruleset on the default branch: changes only through pull requests with one approving review
   * (code owners), the CI status checks green, no force pushes, no deletion.
   */
  protectDefaultBranch(dependsOn: pulumi.Input<pulumi.Resource>[] = []): github.RepositoryRuleset {
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
