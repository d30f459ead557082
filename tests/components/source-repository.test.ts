/**
 * SourceRepository from a purpose-built Args value: a private repository that is retained (and
 * protected where asked), never deleted, with the team's maintain access and vulnerability alerts;
 * the default-branch ruleset and secret scanning only where the organisation's plan has them; a
 * decommissioned service's repository archived, without alerts or ruleset.
 */
import * as pulumi from "@pulumi/pulumi";
import { one, recordDeclarations, tree } from "./harness";

const REPO = "github:index/repository:Repository";
const mocks = recordDeclarations((a) =>
  a.type === REPO
    ? { ...a.inputs, defaultBranch: "main", htmlUrl: `https://github.test/acme/${a.inputs.name}` }
    : a.inputs,
);

// Imported after setMocks, as a program would.
import { SourceRepository, SourceRepositoryArgs } from "../../components/source-repository";

const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const ARGS: SourceRepositoryArgs = {
  repositoryName: "fraud",
  description: "Scores   card\npayments",
  visibility: "private",
  topics: ["ml-service", "risk", "sklearn"],
  teamSlug: "risk",
  organisation: { plan: "enterprise", secretProtection: true },
  protect: true,
};

beforeEach(() => mocks.reset());

describe("SourceRepository", () => {
  test("the repository, its alerts, the team's access and the ruleset, parented in the component", async () => {
    const repo = new SourceRepository("fraud-repo", ARGS);
    repo.protectDefaultBranch();
    await mocks.settle();
    const p = "fraud-repo";
    expect(tree(mocks.declared)).toEqual([
      [REPO, p, p],
      [RULESET, `${p}-default-branch`, p],
      [
        "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts",
        `${p}-vulnerability-alerts`,
        p,
      ],
      ["github:index/teamRepository:TeamRepository", `${p}-team`, p],
      ["mlplatform:github:SourceRepository", p, ""],
    ]);
    const repository = one(mocks.declared, REPO, p);
    expect(repository.inputs).toEqual({
      name: "fraud",
      description: "Scores card payments",
      visibility: "private",
      topics: ["ml-service", "risk", "sklearn"],
      autoInit: true,
      archiveOnDestroy: true,
      hasIssues: true,
      hasWiki: false,
      hasProjects: false,
      allowMergeCommit: false,
      allowRebaseMerge: false,
      allowSquashMerge: true,
      deleteBranchOnMerge: true,
      securityAndAnalysis: {
        secretScanning: { status: "enabled" },
        secretScanningPushProtection: { status: "enabled" },
      },
    });
    expect([repository.protect, repository.retainOnDelete]).toEqual([true, true]);
    expect(
      one(mocks.declared, "github:index/teamRepository:TeamRepository", `${p}-team`).inputs,
    ).toEqual({
      teamId: "risk",
      repository: "fraud",
      permission: "maintain",
    });
    const ruleset = one(mocks.declared, RULESET, `${p}-default-branch`).inputs;
    expect(ruleset).toMatchObject({
      repository: "fraud",
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
          requiredChecks: [{ context: "continuous-integration/drone/pr" }],
          strictRequiredStatusChecksPolicy: true,
        },
      },
    });
  });

  test("the free plan: no ruleset and no secret scanning (GitHub offers neither on private repositories)", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const repo = new SourceRepository("free-repo", {
        ...ARGS,
        organisation: { plan: "free", secretProtection: false },
      });
      expect(repo.protectDefaultBranch()).toBeUndefined();
      await mocks.settle();
      expect(mocks.declared.filter((d) => d.type === RULESET)).toEqual([]);
      expect(one(mocks.declared, REPO, "free-repo").inputs.securityAndAnalysis).toBeUndefined();
      expect(String(warn.mock.calls[0][0])).toContain("the default branch is NOT protected");
    } finally {
      warn.mockRestore();
    }
  });

  test("decommissioned: archived, still retained; no alerts, no ruleset", async () => {
    const repo = new SourceRepository("old-repo", { ...ARGS, archived: true, protect: false });
    expect(repo.protectDefaultBranch()).toBeUndefined();
    await mocks.settle();
    const repository = one(mocks.declared, REPO, "old-repo");
    expect(repository.inputs).toMatchObject({ archived: true, archiveOnDestroy: true });
    expect([repository.protect, repository.retainOnDelete]).toEqual([false, true]);
    expect(mocks.declared.map((d) => d.type).sort()).toEqual([
      REPO,
      "github:index/teamRepository:TeamRepository",
      "mlplatform:github:SourceRepository",
    ]);
  });

  test("an adopted repository is imported by its name; a topic GitHub refuses is refused, naming it", async () => {
    new SourceRepository("adopted-repo", { ...ARGS, importId: "legacy-fraud" });
    await mocks.settle();
    expect(one(mocks.declared, REPO, "adopted-repo").importId).toBe("legacy-fraud");
    expect(() => new SourceRepository("bad-repo", { ...ARGS, topics: ["Not_A_Topic"] })).toThrow(
      'SourceRepository bad-repo: topic "Not_A_Topic" is not a GitHub topic',
    );
  });
});
