/**
 * The catalog's validation beyond the rule-by-rule cases of tests/safety/validation.test.ts:
 * code-point lengths, did-you-mean for enum values, the cited cloud limits at and over each limit,
 * schema and cross-field problems reported together in file and line order, where problems point,
 * and the per-stack size limit.
 */
import * as path from "path";
import { CatalogError } from "../../catalog/errors";
import { CATALOG_LIMITS, loadCatalog, stackSizeProblems } from "../../catalog/load";
import { catalogSchema, codePoints } from "../../catalog/schema";
import { problemsOf, projectStacks, VALID_ENTRY, withLine, writeCatalog } from "../safety/fixtures";

/** The problems of a one-file catalog, with the file's path shortened to F. */
function problems(content: string, file = "churn-model.yaml"): string[] {
  const dir = writeCatalog({ [file]: content });
  return problemsOf(dir).map((p) => p.split(path.join(dir, file)).join("F"));
}

function accepted(content: string, file = "churn-model.yaml"): void {
  const dir = writeCatalog({ [file]: content });
  expect(loadCatalog(dir, projectStacks()).map((f) => f.file)).toEqual([path.join(dir, file)]);
}

/** VALID_ENTRY with extra training fields after the schedule (line 7), from line 8 on. */
const withTraining = (...lines: string[]) =>
  VALID_ENTRY.replace(
    '  schedule: "0 3 * * 1"\n',
    `  schedule: "0 3 * * 1"\n${lines.join("\n")}\n`,
  );

describe("string lengths count code points, as editors do", () => {
  const emoji = "\u{1F600}";
  it("350 emoji fit a 350-character description; 351 do not", () => {
    expect(emoji.length).toBe(2);
    expect(codePoints(emoji.repeat(350))).toBe(350);
    accepted(withLine(2, `description: "${emoji.repeat(350)}"`));
    expect(problems(withLine(2, `description: "${emoji.repeat(351)}"`))).toEqual([
      "F:2: description: is 351 characters long (at most 350)",
    ]);
  });
});

describe("did you mean, for enum values", () => {
  it("suggests the near value and lists the allowed ones", () => {
    expect(problems(VALID_ENTRY + "template: sklern\n")).toEqual([
      'F:10: template: "sklern" is not allowed (did you mean sklearn? one of sklearn, pyspark)',
    ]);
    expect(problems(VALID_ENTRY + "repository:\n  visibility: public\n")).toEqual([
      'F:11: repository.visibility: "public" is not allowed (one of private, internal)',
    ]);
  });
});

describe("cited cloud limits", () => {
  const NODE_RULE =
    "a Databricks AWS node type: an EC2 instance type such as i3.xlarge, m5d.2xlarge or r6gd.4xlarge";

  it.each([
    ["workers", "64", "65", "F:8: training.workers: 65 is out of range (from 0 to 64)"],
    [
      "timeoutMinutes",
      "2880",
      "2881",
      "F:8: training.timeoutMinutes: 2881 is out of range (from 5 to 2880)",
    ],
    [
      "timeoutMinutes",
      "5",
      "4",
      "F:8: training.timeoutMinutes: 4 is out of range (from 5 to 2880)",
    ],
    ["retries", "5", "6", "F:8: training.retries: 6 is out of range (from 0 to 5)"],
    ["retries", "0", "-1", "F:8: training.retries: -1 is out of range (from 0 to 5)"],
  ])("training.%s: %s is accepted, %s refused", (field, atLimit, over, message) => {
    accepted(withTraining(`  ${field}: ${atLimit}`));
    expect(problems(withTraining(`  ${field}: ${over}`))).toEqual([message]);
  });

  it("notifications.emails: 20 addresses are accepted, 21 refused", () => {
    const emails = (n: number) =>
      `  emails: [${Array.from({ length: n }, (_, i) => `m${i}@acme-ml.example`).join(", ")}]`;
    accepted(withLine(9, emails(20)));
    expect(problems(withLine(9, emails(21)))).toEqual([
      "F:9: notifications.emails: has 21 items (at most 20 allowed)",
    ]);
  });

  it.each([
    "i3.xlarge",
    "m5d.2xlarge",
    "r6gd.4xlarge",
    "c5.metal",
    "m7i.metal-48xl",
    "u-6tb1.56xlarge",
  ])("node type %s is accepted", (nodeType) => accepted(withTraining(`  nodeType: ${nodeType}`)));

  it.each(["Standard_DS3_v2", "n1-standard-4", "i3.xl", "i3.xlarge2", "i3", "I3.xlarge"])(
    "node type %s is refused, naming the AWS form",
    (nodeType) => {
      expect(problems(withTraining(`  nodeType: ${nodeType}`))).toEqual([
        `F:8: training.nodeType: "${nodeType}" is not valid (${NODE_RULE})`,
      ]);
    },
  );

  it("a schedule every minute is accepted (Databricks' 10-second minimum is always met)", () => {
    accepted(withLine(7, '  schedule: "* * * * *"'));
  });

  it("each limited field cites where its limit comes from", () => {
    const schema = catalogSchema();
    for (const job of ["training", "batchPrediction"]) {
      const fields = schema.properties![job].properties!;
      expect(fields.workers.description).toContain("docs.databricks.com/api/workspace/jobs/create");
      expect(fields.workers.description).toContain("documents no maximum");
      expect(fields.timeoutMinutes.description).toContain("timeout_seconds");
      expect(fields.retries.description).toContain("max_retries");
      expect(fields.nodeType.description).toContain(
        "docs.aws.amazon.com/AWSEC2/latest/APIReference",
      );
      expect(fields.schedule.description).toContain("docs.databricks.com/jobs/scheduled");
    }
    const emails = schema.properties!.notifications.properties!.emails;
    expect(emails.description).toContain("email_notifications.on_failure");
    expect(emails.maxItems).toBe(20);
  });
});

describe("every problem at once, in file and line order", () => {
  it("schema and cross-field problems of one entry are reported together", () => {
    const entry = [
      "name: churn-model", // 1
      "description: Predicts which customers will cancel.", // 2
      "team: growth", // 3
      "owners: [ann-ml, Ann-ML]", // 4
      "environments: [dev, qa]", // 5
      "training:", // 6
      "  workers: 99", // 7
      "  timezone: Mars/Base", // 8
      "batchPrediction:", // 9
      '  schedule: "0 25 * * *"', // 10
      "",
    ].join("\n");
    expect(problems(entry).map((p) => p.replace(/ \(5 fields: .*\)$/, ""))).toEqual([
      'F:4: owners[1]: "Ann-ML" is "ann-ml" again (GitHub handles are case-insensitive)',
      'F:5: environments[1]: environment "qa" has no stack (known: dev, prod)',
      "F:7: training.workers: 99 is out of range (from 0 to 64)",
      'F:8: training.timezone: "Mars/Base" is not a time zone of the IANA database (e.g. UTC, Europe/Berlin, America/New_York)',
      'F:10: batchPrediction.schedule: "0 25 * * *" is not a valid cron expression: hour 25 is out of range 0-23',
    ]);
  });

  it("an invalid field skips only the checks that need it", () => {
    // The name is invalid: no name checks; the unknown environment is still reported.
    expect(
      problems(withLine(5, "environments: [dev, qa]", withLine(1, "name: Churn")), "Churn.yaml"),
    ).toEqual([
      'F:1: name: "Churn" is not valid (lowercase letters, digits and single dashes, starting with a letter, e.g. churn-model)',
      'F:5: environments[1]: environment "qa" has no stack (known: dev, prod)',
    ]);
    // A list item of the wrong type is skipped by the cross-field pass, not a crash.
    expect(problems(withLine(5, "environments: [dev, {a: 1}]"))).toEqual([
      "F:5: environments[1]: is a mapping (expected a string)",
    ]);
  });

  it("a name collision is found even when the colliding entry has another problem", () => {
    const dir = writeCatalog({
      "churn-model.yaml": VALID_ENTRY,
      "other-model.yaml": `${withLine(1, "name: other-model", withTraining("  workers: 99"))}adopt:\n  dev:\n    artifactsBucket: mlp-churn-model-dev-artifacts\n`,
    });
    expect(problemsOf(dir).map((p) => p.split(`${dir}/`).join(""))).toEqual([
      "other-model.yaml:8: training.workers: 99 is out of range (from 0 to 64)",
      'other-model.yaml:13: adopt.dev.artifactsBucket: S3 bucket "mlp-churn-model-dev-artifacts" of service other-model (other-model.yaml, dev) is also the S3 bucket of service churn-model (churn-model.yaml, dev); two owners cannot share one resource',
    ]);
  });

  it("files are sorted by name, problems by line", () => {
    const dir = writeCatalog({
      "b-model.yaml": withLine(1, "name: b-model", withLine(7, '  schedule: "0 3 * * 9"')),
      "a-model.yaml": withLine(1, "name: a-model", withLine(3, undefined)),
    });
    expect(problemsOf(dir).map((p) => p.split(`${dir}/`).join("").split(" (")[0])).toEqual([
      "a-model.yaml:1: team: is required",
      'b-model.yaml:7: training.schedule: "0 3 * * 9" is not a valid cron expression: day-of-week 9 is out of range 0-7',
    ]);
  });
});

describe("where problems point", () => {
  it("a missing field points at the mapping that lacks it: its first key, after comments", () => {
    const entry = `# yaml-language-server: $schema=./schema.json\n${withLine(3, undefined)}`;
    expect(problems(entry)).toEqual([
      "F:2: team: is required (Owning team: its GitHub team slug, also the Databricks group given access.)",
    ]);
    expect(problems(`${VALID_ENTRY}images:\n  dev:\n    gitSha: "${"0".repeat(40)}"\n`)).toEqual([
      "F:12: images.dev.digest: is required (Digest of the image's manifest (sha256:<64 hex>); the copy and the jobs are checked against it.)",
    ]);
  });

  it("a duplicate key names the key and both lines", () => {
    expect(problems(VALID_ENTRY + "team: other\n")).toEqual([
      'F:10: team: duplicate key "team" at lines 3 and 10 (a key may appear once per mapping; keep one)',
    ]);
    expect(problems(withTraining('  schedule: "0 4 * * *"'))).toEqual([
      'F:8: training.schedule: duplicate key "schedule" at lines 7 and 8 (a key may appear once per mapping; keep one)',
    ]);
  });

  it.each([
    ["a tab before a nested key", withLine(7, '\tschedule: "0 3 * * 1"'), 7],
    ["a tab before a top-level key", withLine(3, "\tteam: growth"), 3],
    ["a tab after spaces", withLine(9, " \temails: [growth-ml@acme-ml.example]"), 9],
  ])("%s is one clear problem", (_label, content, line) => {
    expect(problems(content)).toEqual([
      `F:${line}: YAML syntax error: tabs are not allowed for indentation, line ${line} (indent with spaces)`,
    ]);
  });
});

describe("the per-stack size limit", () => {
  const entries = (count: number) =>
    Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`svc-${i}.yaml`, withLine(1, `name: svc-${i}`)]),
    );

  it("is explicit and documented among the limits", () => {
    expect(CATALOG_LIMITS.maxServicesPerStack).toBe(1000);
  });

  it("a stack at the limit is accepted; one over it is refused, naming the count, the limit and the shards", () => {
    const stacks = projectStacks();
    expect(loadCatalog(writeCatalog(entries(3)), stacks, { maxServicesPerStack: 3 })).toHaveLength(
      3,
    );
    let error: unknown;
    try {
      loadCatalog(writeCatalog(entries(7)), stacks, { maxServicesPerStack: 3 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).problems).toEqual([
      'stacks/Pulumi.dev.yaml: mlplatform:environment: stack dev deploys 7 services of environment "dev", more than 3 per stack; shard it into 3 stacks of at most 3 services each (mlplatform:shardTeams or mlplatform:shardServices on each shard, mlplatform:ownsPlatformResources true on exactly one; see docs/scale.md)',
    ]);
  });

  it("counts per stack: a shard that selects fewer services passes", () => {
    const [dev] = projectStacks();
    const shard = { ...dev, settings: { ...dev.settings, shardServices: ["svc-0", "svc-1"] } };
    const list = [0, 1, 2].map((i) => ({
      name: `svc-${i}`,
      team: "growth",
      environments: ["dev"],
    }));
    expect(stackSizeProblems(list, [shard], 2)).toEqual([]);
    expect(stackSizeProblems(list, projectStacks(), 2).map((p) => p.message)).toEqual([
      'stack dev deploys 3 services of environment "dev", more than 2 per stack; shard it into 2 stacks of at most 2 services each (mlplatform:shardTeams or mlplatform:shardServices on each shard, mlplatform:ownsPlatformResources true on exactly one; see docs/scale.md)',
    ]);
  });
});
