/**
 * SourceRepository and RepositoryContent under the SDK's mock engine, for what GitHub and the
 * GitHub provider decide: archival of a decommissioned service's repository, the features the
 * organisation's plan and licences allow, topics GitHub accepts, and the default branch GitHub
 * gives a new repository. The pure rules (components/github/features.ts, catalog/github.ts)
 * and the settings that feed them are tested here too.
 */
import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations, Registration, settled } from "../helpers/registrations";

const GITHUB_DEFAULT_BRANCH = "trunk";
const recorder = recordRegistrations((args) =>
  args.type === "github:index/repository:Repository"
    ? // What the provider reads back: GitHub's default_branch (the organisation's setting).
      { ...args.inputs, defaultBranch: GITHUB_DEFAULT_BRANCH }
    : args.inputs,
);
const { registered } = recorder;

// Imported after setMocks, as the program would be.
import { SourceRepository, SourceRepositoryArgs } from "../../components/source-repository";
import { RepositoryContent } from "../../components/repository-content";
import { githubTopics, repositoryFeatures } from "../../components/github/features";
import { githubSettingsProblems, visibilityProblem } from "../../catalog/github";
import { parseSettings, SETTINGS } from "../../catalog/settings";
import { readStackFile } from "../../catalog/stacks";
import * as path from "path";

const REPO = "github:index/repository:Repository";
const ALERTS = "github:index/repositoryVulnerabilityAlerts:RepositoryVulnerabilityAlerts";
const TEAM = "github:index/teamRepository:TeamRepository";
const RULESET = "github:index/repositoryRuleset:RepositoryRuleset";
const COMMIT = "pulumi-nodejs:dynamic/github:Commit";

function args(overrides: Partial<SourceRepositoryArgs> = {}): SourceRepositoryArgs {
  return {
    repositoryName: "churn-model",
    description: "Predicts churn",
    visibility: "private",
    topics: ["ml-service", "growth", "sklearn"],
    teamSlug: "growth",
    secretScanning: true,
    organisation: { plan: "enterprise", secretProtection: true },
    ...overrides,
  };
}

/** Lets the mock engine register the component's children. */
async function settle(repo: SourceRepository): Promise<void> {
  await settled(repo.repository.urn);
  await new Promise((resolve) => setImmediate(resolve));
}

/** Registrations of a type, of the component named `prefix` (other tests' late ones excluded). */
function ofType(type: string, prefix: string): Registration[] {
  return registered.filter((r) => r.type === type && r.name.startsWith(prefix));
}

beforeEach(() => recorder.reset());

describe("a decommissioned service's repository is archived (point 1)", () => {
  test("archived: true is declared on the repository, still retained; no alerts, no ruleset", async () => {
    const repo = new SourceRepository("churn-repo", args({ archived: true }));
    expect(repo.protectDefaultBranch()).toBeUndefined();
    await settle(repo);
    const [declared] = ofType(REPO, "churn-repo");
    // retainOnDelete skips the provider's delete, and with it archive_on_destroy: the archive is
    // asked for as an update of the repository instead.
    expect(declared.inputs).toMatchObject({ archived: true, archiveOnDestroy: true });
    expect(declared.options.retainOnDelete).toBe(true);
    // The provider refuses vulnerability alerts and rulesets on an archived repository.
    expect(ofType(ALERTS, "churn-repo")).toEqual([]);
    expect(ofType(RULESET, "churn-repo")).toEqual([]);
    // The team keeps its access (read-only now).
    expect(ofType(TEAM, "churn-repo")).toHaveLength(1);
  });

  test("an active service's repository is not archived and keeps alerts and ruleset", async () => {
    const repo = new SourceRepository("active-repo", args());
    const ruleset = repo.protectDefaultBranch();
    expect(ruleset).toBeDefined();
    await settle(repo);
    await settled(ruleset!.urn);
    expect(ofType(REPO, "active-repo")[0].inputs.archived).toBeUndefined();
    expect(ofType(ALERTS, "active-repo")).toHaveLength(1);
    expect(ofType(RULESET, "active-repo")).toHaveLength(1);
  });
});

describe("features by plan and licence (point 2)", () => {
  test("enterprise without Secret Protection: no secret scanning, even when asked for", async () => {
    const repo = new SourceRepository(
      "no-licence",
      args({ organisation: { plan: "enterprise", secretProtection: false } }),
    );
    await settle(repo);
    expect(ofType(REPO, "no-licence")[0].inputs.securityAndAnalysis).toBeUndefined();
    expect(repo.features).toEqual({ ruleset: true, secretScanning: false });
  });

  test("team with Secret Protection: secret scanning and push protection on a private repository", async () => {
    const repo = new SourceRepository(
      "team-licensed",
      args({ organisation: { plan: "team", secretProtection: true } }),
    );
    await settle(repo);
    expect(ofType(REPO, "team-licensed")[0].inputs.securityAndAnalysis).toEqual({
      secretScanning: { status: "enabled" },
      secretScanningPushProtection: { status: "enabled" },
    });
  });

  test("free: no ruleset on a private repository (GitHub would refuse it), with a warning", async () => {
    const warn = jest.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const repo = new SourceRepository(
        "free-repo",
        args({ organisation: { plan: "free", secretProtection: false } }),
      );
      expect(repo.protectDefaultBranch()).toBeUndefined();
      await settle(repo);
      expect(ofType(RULESET, "free-repo")).toEqual([]);
      expect(ofType(REPO, "free-repo")[0].inputs.securityAndAnalysis).toBeUndefined();
      expect(warn.mock.calls.map((c) => String(c[0])).join("\n")).toContain(
        "the default branch is NOT protected",
      );
    } finally {
      warn.mockRestore();
    }
  });

  test.each(["free", "team"] as const)("internal visibility on plan %s is refused", (plan) => {
    // The catalog validation refuses it (catalog/github.ts); the component gets valid values.
    expect(visibilityProblem("internal", plan)).toBe(
      `visibility internal needs GitHub Enterprise (internal repositories exist only for organisations owned by an enterprise account); this stack's mlplatform:githubPlan is ${plan}: use visibility private`,
    );
  });

  test("the pure rules", () => {
    expect(repositoryFeatures({ plan: "free", secretProtection: true }, "private")).toEqual({
      ruleset: false,
      secretScanning: false,
    });
    expect(repositoryFeatures({ plan: "team", secretProtection: false }, "private")).toEqual({
      ruleset: true,
      secretScanning: false,
    });
    expect(repositoryFeatures({ plan: "enterprise", secretProtection: true }, "internal")).toEqual({
      ruleset: true,
      secretScanning: true,
    });
    expect(visibilityProblem("internal", "enterprise")).toBeUndefined();
    expect(visibilityProblem("private", "free")).toBeUndefined();
    expect(visibilityProblem("internal", "team")).toContain("needs GitHub Enterprise");
    expect(githubSettingsProblems({ githubPlan: "free", githubSecretProtection: true })).toEqual([
      "mlplatform:githubSecretProtection: GitHub Secret Protection is available only with githubPlan team or enterprise (this stack says free)",
    ]);
    expect(githubSettingsProblems({ githubPlan: "team", githubSecretProtection: true })).toEqual(
      [],
    );
  });

  test("the settings: githubSecretProtection (default false) and githubDefaultBranch (default main)", () => {
    const dev = readStackFile(path.join(__dirname, "..", "..", "stacks", "Pulumi.dev.yaml"));
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(dev.config)) {
      if (key.startsWith("mlplatform:")) values[key.slice("mlplatform:".length)] = value;
    }
    delete values.githubSecretProtection;
    delete values.githubDefaultBranch;
    const defaults = parseSettings("dev", values, "stacks/Pulumi.dev.yaml");
    expect(defaults.githubSecretProtection).toBe(false);
    expect(defaults.githubDefaultBranch).toBe("main");
    const set = parseSettings(
      "dev",
      { ...values, githubSecretProtection: "true", githubDefaultBranch: "trunk" },
      "stacks/Pulumi.dev.yaml",
    );
    expect([set.githubSecretProtection, set.githubDefaultBranch]).toEqual([true, "trunk"]);
    expect(() =>
      parseSettings("dev", { ...values, githubDefaultBranch: "-x" }, "stacks/Pulumi.dev.yaml"),
    ).toThrow("stacks/Pulumi.dev.yaml: mlplatform:githubDefaultBranch: invalid value");
    expect(SETTINGS.find((s) => s.key === "githubSecretProtection")).toMatchObject({
      type: "boolean",
      default: false,
    });
  });
});

describe("topics GitHub accepts (point 4)", () => {
  const LONG_TEAM = "platform-machine-learning-recommendations-and-search"; // 52 characters

  test("a team slug longer than 50 characters is cut to a valid topic", async () => {
    expect(LONG_TEAM.length).toBeGreaterThan(50);
    const repo = new SourceRepository(
      "long-team",
      args({ teamSlug: LONG_TEAM, topics: ["ml-service", LONG_TEAM, "sklearn"] }),
    );
    await settle(repo);
    const topics = ofType(REPO, "long-team")[0].inputs.topics as string[];
    expect(topics).toEqual(["ml-service", LONG_TEAM.slice(0, 50), "sklearn"]);
    for (const t of topics) expect(t).toMatch(/^[a-z0-9][a-z0-9-]{0,49}$/);
    // The team's access still uses the full slug.
    expect(ofType(TEAM, "long-team")[0].inputs.teamId).toBe(LONG_TEAM);
  });

  test("githubTopics: cut, trailing hyphens dropped, duplicates removed, invalid refused", () => {
    const cut = `${"a".repeat(49)}-tail`;
    expect(githubTopics(["x", cut, "x"])).toEqual({ topics: ["x", "a".repeat(49)], problems: [] });
    expect(githubTopics(["Bad_Topic"]).problems).toEqual([
      'topic "Bad_Topic" is not a GitHub topic (lowercase letters, digits and hyphens, not starting with a hyphen, at most 50 characters)',
    ]);
    const many = Array.from({ length: 21 }, (_, i) => `t${i}`);
    expect(githubTopics(many).problems).toEqual(["21 topics; GitHub allows at most 20"]);
  });

  test("an invalid topic is refused when declared", () => {
    expect(() => new SourceRepository("bad-topic", args({ topics: ["-nope"] }))).toThrow(
      'SourceRepository bad-topic: topic "-nope" is not a GitHub topic',
    );
  });
});

describe("the default branch is GitHub's (point 4)", () => {
  test("the repository's defaultBranch output reaches the scaffold commit, which checks it", async () => {
    const repo = new SourceRepository("branch-repo", args());
    const content = new RepositoryContent("branch-content", {
      apiUrl: "https://api.github.com",
      token: "ghp_notused0000000000",
      owner: "acme-ml",
      repository: repo.repositoryName,
      branch: repo.defaultBranch,
      repositoryDefaultBranch: repo.githubDefaultBranch,
      files: [{ path: "README.md", content: "# x\n", kind: "seed", digest: "0".repeat(64) }],
    });
    await settle(repo);
    expect(await settled(repo.githubDefaultBranch)).toBe(GITHUB_DEFAULT_BRANCH);
    await settled(content.scaffold.urn);
    const [commit] = ofType(COMMIT, "branch-content");
    expect(commit.inputs).toMatchObject({ branch: "main", defaultBranch: GITHUB_DEFAULT_BRANCH });
    expect(repo.defaultBranch).toBe("main");
  });
});
