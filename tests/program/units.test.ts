import { parseCron, toQuartz } from "../../catalog/cron";
import { maxServiceNameLength, nameProblems, physicalNames } from "../../catalog/names";
import { parseSettings, SettingsError } from "../../catalog/settings";
import { diffGroup } from "../../offline/plan/diff";
import { counted } from "../../lib/plural";
import { progressReporter } from "../../offline/plan/progress";

describe("cron to Quartz", () => {
  it.each([
    ["0 3 * * 1", "0 0 3 ? * 2"],
    ["30 5 * * *", "0 30 5 * * ?"],
    ["0 2 1 * *", "0 0 2 1 * ?"],
    ["*/15 8-18 * * 1-5", "0 */15 8-18 ? * 2,3,4,5,6"],
    ["0 0 * * 0", "0 0 0 ? * 1"],
    ["0 0 * * 7", "0 0 0 ? * 1"],
    ["0 6 * jan,jul sun", "0 0 6 ? JAN,JUL 1"],
    ["@daily", "0 0 0 * * ?"],
    ["@weekly", "0 0 0 ? * 1"],
  ])("%s becomes %s", (cron, quartz) => {
    expect(toQuartz(cron)).toBe(quartz);
  });

  it.each([
    ["* * * *", "has 4 fields, expected 5"],
    ["61 * * * *", "minute 61 is out of range 0-59"],
    ["0 24 * * *", "hour 24 is out of range 0-23"],
    ["0 0 0 * *", "day-of-month 0 is out of range 1-31"],
    ["0 0 * 13 *", "month 13 is out of range 1-12"],
    ["0 0 * * 8", "day-of-week 8 is out of range 0-7"],
    ["5/10 * * * *", 'minute step needs a range or * before it ("5/10")'],
    ["*/0 * * * *", "minute step must be at least 1"],
    ["0 0 1 * 1", "restricts both day-of-month and day-of-week"],
    ["10-5 * * * *", "minute range 10-5 runs backwards"],
    ["x * * * *", 'minute "x" is not a number'],
  ])("%s is refused: %s", (cron, message) => {
    const result = parseCron(cron);
    expect(typeof result).toBe("string");
    expect(result).toContain(message);
  });
});

describe("physical names", () => {
  it("derive from prefix, name and environment", () => {
    expect(physicalNames("churn-model", "prod", "mlp")).toMatchObject({
      repository: "churn-model",
      pythonPackage: "churn_model",
      ecrRepository: "mlp/churn-model-prod",
      artifactsBucket: "mlp-churn-model-prod-artifacts",
      predictionsBucket: "mlp-churn-model-prod-predictions",
      ciRole: "mlp-churn-model-prod-ci",
      clusterRole: "mlp-churn-model-prod-cluster",
      trainingJob: "mlp-churn-model-prod-training",
      experimentPath: "/Shared/mlp/prod/churn-model",
      // The model's name inside the stack's Unity Catalog schema: no dashes, no dots.
      registeredModel: "churn_model",
      workspaceModel: "mlp-churn-model-prod",
    });
  });

  it("report names that break a cloud limit, with the longest name that fits", () => {
    expect(nameProblems("a".repeat(32), "prod", "mlp")).toEqual([]);
    const long = "a".repeat(32);
    const problems = nameProblems(long, "staging1", "platform12");
    expect(maxServiceNameLength("staging1", "platform12")).toBe(31);
    expect(problems).toContain(
      `derived predictionsBucket name "platform12-${long}-staging1-predictions" (64 characters) breaks S3 bucket names: 3 to 63 characters, lowercase, digits, dashes; shorten the name (at most 31 characters with prefix "platform12" in staging1)`,
    );
  });
});

describe("stack settings", () => {
  const valid = {
    environment: "dev",
    awsAccountId: "111111111111",
    deployRoleArn: "arn:aws:iam::111111111111:role/deploy",
    awsRegion: "eu-west-1",
    namePrefix: "mlp",
    modelCatalog: "ml_dev",
    modelSchema: "models",
    databricksCrossAccountRoleArn: "arn:aws:iam::111111111111:role/databricks-cross-account",
    githubOrganization: "acme",
    droneServer: "https://drone.example.com",
    droneRunnerRoleArn: "arn:aws:iam::111111111111:role/runner",
    databricksHost: "https://dbc.cloud.databricks.com",
    databricksClientId: "abc-123",
  };

  it("apply defaults and parse Pulumi's string values", () => {
    const s = parseSettings(
      "dev",
      { ...valid, buildBaseImage: "false", artifactRetentionDays: "45", accountTags: '{"a":"b"}' },
      "f",
    );
    expect(s).toMatchObject({
      buildBaseImage: false,
      artifactRetentionDays: 45,
      accountTags: { a: "b" },
      orchestrator: "databricks",
      protectData: false,
      production: false,
      legacyWorkspaceModels: false,
    });
  });

  it("report every problem at once, naming file and key", () => {
    let error: SettingsError | undefined;
    try {
      parseSettings(
        "dev",
        {
          ...valid,
          namePrefix: "UPPER",
          orchestrator: "cron",
          typo: 1,
          githubToken: "ghp_plain",
          awsRegion: undefined,
        },
        "stacks/Pulumi.dev.yaml",
      );
    } catch (e) {
      error = e as SettingsError;
    }
    expect(error?.problems).toEqual([
      expect.stringMatching(
        /^stacks\/Pulumi\.dev\.yaml: mlplatform:typo: unknown setting \(known: /,
      ),
      expect.stringMatching(/^stacks\/Pulumi\.dev\.yaml: mlplatform:awsRegion: missing \(/),
      "stacks/Pulumi.dev.yaml: mlplatform:namePrefix: invalid value (expected matching ^[a-z][a-z0-9]{1,9}$)",
      "stacks/Pulumi.dev.yaml: mlplatform:orchestrator: invalid value (expected one of databricks, airflow)",
      "stacks/Pulumi.dev.yaml: mlplatform:githubToken: is a secret and must not be stored in plain text (set it with: pulumi config set --secret mlplatform:githubToken)",
    ]);
    expect(error?.message).not.toContain("ghp_plain");
  });
});

describe("plan diff and ignoreChanges", () => {
  const resource = (inputs: Record<string, unknown>, ignoreChanges?: string[]) => ({
    urn: "urn:pulumi:dev::mlplatform::t::n",
    type: "t",
    name: "n",
    custom: true,
    inputs,
    protect: false,
    retainOnDelete: false,
    ...(ignoreChanges ? { ignoreChanges } : {}),
  });

  it("does not report ignored inputs (with [*] wildcards) but reports their siblings", () => {
    const before = resource({ tasks: [{ a: 1 }, { a: 1 }], b: 1, content: "x", contentType: "t" });
    const after = resource({ tasks: [{ a: 2 }, { a: 3 }], b: 2, content: "y", contentType: "u" }, [
      "tasks[*].a",
      "content",
    ]);
    expect(diffGroup("g", [before], [after]).changed.map((c) => c.paths)).toEqual([
      ["b", "contentType"],
    ]);
    expect(
      diffGroup("g", [before], [{ ...after, ignoreChanges: undefined }]).changed[0].paths,
    ).toEqual(["b", "content", "contentType", "tasks[0].a", "tasks[1].a"]);
  });
});

describe("counted", () => {
  it("uses the singular for one and the plural otherwise", () => {
    expect([0, 1, 2].map((n) => counted(n, "service"))).toEqual([
      "0 services",
      "1 service",
      "2 services",
    ]);
    expect(counted(1, "entry", "entries")).toBe("1 entry");
    expect(counted(3, "entry", "entries")).toBe("3 entries");
  });
});

describe("progressReporter", () => {
  it("writes one line per tenth of a catalog of 100 or more, and nothing for smaller ones", () => {
    const lines: string[] = [];
    const report = progressReporter((l) => lines.push(l), Date.now());
    for (let i = 1; i <= 250; i++) report(i, 250);
    expect(lines.map((l) => l.replace(/\(\d+\.\d s\)/, "(T)"))).toEqual(
      [25, 50, 75, 100, 125, 150, 175, 200, 225, 250].map(
        (n) => `declared ${n} of 250 services (T)\n`,
      ),
    );
    const quiet: string[] = [];
    const small = progressReporter((l) => quiet.push(l));
    for (let i = 1; i <= 99; i++) small(i, 99);
    expect(quiet).toEqual([]);
  });
});
