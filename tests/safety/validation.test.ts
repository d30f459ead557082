/**
 * Catalog validation, rule by rule, with the exact text a user reads: file, line, field path, what
 * is wrong and what is allowed. Then the acceptance scenario through the real commands.
 */
import * as fs from "fs";
import * as path from "path";
import { CRON_ALLOWED } from "../../catalog/cron";
import { loadCatalog, modelSchemaProblems } from "../../catalog/load";
import { RESERVED_SERVICE_NAMES } from "../../catalog/names";

const REPO_ROOT = path.join(__dirname, "..", "..");
import { readStacks } from "../../catalog/stacks";
import {
  problemLines,
  problemsOf,
  projectStacks,
  runCli,
  stacksWith,
  VALID_ENTRY,
  withLine,
  writeCatalog,
} from "./fixtures";

const TOP_FIELDS =
  "name, displayName, description, team, owners, template, environments, training, batchPrediction, evaluation, artifacts, notifications, repository, images, adopt, decommissioned";
const TRAINING_FIELDS =
  "entryPoint, nodeType, workers, timeoutMinutes, retries, schedule, timezone";
const NAME_RULE =
  "lowercase letters, digits and single dashes, starting with a letter, e.g. churn-model";

/** The problems of a one-file catalog, with the file's path shortened to F. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function problems(content: string, file = "churn-model.yaml"): string[] {
  const dir = writeCatalog({ [file]: content });
  return problemsOf(dir).map((p) => p.split(path.join(dir, file)).join("F"));
}

describe("a valid entry", () => {
  it("is accepted with its defaults applied (the baseline every case below breaks once)", () => {
    const dir = writeCatalog({ "churn-model.yaml": VALID_ENTRY });
    const [file] = loadCatalog(dir, projectStacks());
    expect(file.file).toBe(path.join(dir, "churn-model.yaml"));
    expect(file.entry.training).toEqual({
      schedule: "0 3 * * 1",
      entryPoint: "train",
      workers: 1,
      timeoutMinutes: 120,
      retries: 1,
      timezone: "UTC",
    });
    expect(file.entry.decommissioned).toBe(false);
  });
});

describe("unknown fields", () => {
  it("name the field, suggest the near miss and list what is allowed", () => {
    expect(problems(withLine(2, "descripton: Predicts churn."))).toEqual([
      // The misspelt field leaves the real one missing: both are reported, in line order.
      "F:1: description: is required (What the service predicts and for whom.)",
      `F:2: descripton: unknown field "descripton" (did you mean description? allowed: ${TOP_FIELDS})`,
    ]);
    expect(problems(withLine(7, '  shedule: "0 3 * * 1"'))).toEqual([
      `F:7: training.shedule: unknown field "shedule" (did you mean schedule? allowed: ${TRAINING_FIELDS})`,
    ]);
  });

  it("suggest nothing when no field is close", () => {
    expect(problems(VALID_ENTRY + "colour: red\n")).toEqual([
      `F:10: colour: unknown field "colour" (allowed: ${TOP_FIELDS})`,
    ]);
  });
});

describe("wrong types and values", () => {
  it.each([
    [withLine(4, "owners: ann-ml"), "F:4: owners: is a string (expected a list)"],
    [
      withLine(6, "training: 5", withLine(7, undefined)),
      "F:6: training: is an integer (expected a mapping)",
    ],
    [
      withLine(7, '  workers: "four"'),
      "F:7: training.workers: is a string (expected an integer from 0 to 64)",
    ],
    [
      withLine(7, "  workers: 1.5"),
      "F:7: training.workers: is a number (expected an integer from 0 to 64)",
    ],
    [withLine(7, "  workers: 65"), "F:7: training.workers: 65 is out of range (from 0 to 64)"],
    [
      VALID_ENTRY + "decommissioned: yes\n",
      "F:10: decommissioned: is a string (expected true or false)",
    ],
    [
      VALID_ENTRY + "template: tensorflow\n",
      'F:10: template: "tensorflow" is not allowed (one of sklearn, pyspark)',
    ],
    [withLine(5, "environments: []"), "F:5: environments: has 0 items (at least 1 required)"],
    [
      withLine(4, "owners: [ann-ml, ann-ml]"),
      'F:4: owners[1]: duplicates "ann-ml" (items must be unique)',
    ],
  ])("%#: reports exactly the field and the expected type", (content, expected) => {
    expect(problems(content)).toEqual([expected]);
  });
});

describe("missing required fields", () => {
  it("are named with their description, at the line of the section that lacks them", () => {
    expect(problems(withLine(3, undefined))).toEqual([
      "F:1: team: is required (Owning team: its GitHub team slug, also the Databricks group given access.)",
    ]);
    expect(problems(VALID_ENTRY + "batchPrediction:\n  workers: 2\n")).toEqual([
      "F:11: batchPrediction.schedule: is required (Batch-prediction schedule, a 5-field cron expression.)",
    ]);
  });
});

describe("service names", () => {
  it.each([
    ["Churn-Model", `F:1: name: "Churn-Model" is not valid (${NAME_RULE})`],
    ["1churn", `F:1: name: "1churn" is not valid (${NAME_RULE})`],
    ["churn--model", `F:1: name: "churn--model" is not valid (${NAME_RULE})`],
    ["churn-model-", `F:1: name: "churn-model-" is not valid (${NAME_RULE})`],
    ["churn_model", `F:1: name: "churn_model" is not valid (${NAME_RULE})`],
    ["a".repeat(33), "F:1: name: is 33 characters long (at most 32)"],
    ["ab", "F:1: name: is 2 characters long (at least 3)"],
  ])("%s is refused", (name, expected) => {
    expect(problems(withLine(1, `name: ${name}`), `${name}.yaml`)).toEqual([expected]);
  });

  it("must match the file name, which says how to fix it", () => {
    expect(problems(VALID_ENTRY, "churn.yaml")).toEqual([
      'F:1: name: "churn-model" does not match the file name (rename the file to churn-model.yaml, or set name: churn)',
    ]);
  });

  it("must be unique across files: the copy is blamed, whatever the reading order", () => {
    const dir = writeCatalog({
      "churn-model.yaml": VALID_ENTRY,
      // Sorts before churn-model.yaml, so it is read first.
      "churn-copy.yaml": VALID_ENTRY,
    });
    const copy = path.join(dir, "churn-copy.yaml");
    expect(problemsOf(dir)).toEqual([
      `${copy}:1: name: "churn-model" does not match the file name (rename the file to churn-model.yaml, or set name: churn-copy)`,
      `${copy}:1: name: "churn-model" is already used by ${path.join(dir, "churn-model.yaml")} (service names must be unique across the catalog)`,
    ]);
  });

  it("two copies that both mismatch: the second read is told which file took the name", () => {
    const dir = writeCatalog({ "a-copy.yaml": VALID_ENTRY, "b-copy.yaml": VALID_ENTRY });
    expect(problemsOf(dir).filter((p) => p.includes("already used"))).toEqual([
      `${path.join(dir, "b-copy.yaml")}:1: name: "churn-model" is already used by ${path.join(dir, "a-copy.yaml")} (service names must be unique across the catalog)`,
    ]);
  });

  it("must leave every derived physical name inside its cloud's limit", () => {
    // The longest prefix (10) and environment (8) leave 31 characters for the bucket names.
    const stacks = readStacks(stacksWith({ environment: "sandbox1", namePrefix: "abcdefghij" }));
    const name = "a".repeat(32);
    const entry = withLine(5, "environments: [sandbox1]", withLine(1, `name: ${name}`));
    const dir = writeCatalog({ [`${name}.yaml`]: entry });
    const bucket = `abcdefghij-${name}-sandbox1-predictions`;
    expect(bucket).toHaveLength(64);
    expect(problemsOf(dir, stacks)).toEqual([
      `${path.join(dir, `${name}.yaml`)}:1: name: derived predictionsBucket name "${bucket}" (64 characters) breaks S3 bucket names: 3 to 63 characters, lowercase, digits, dashes; shorten the name (at most 31 characters with prefix "abcdefghij" in sandbox1)`,
    ]);
    // One character less fits.
    const fits = "a".repeat(31);
    const ok = writeCatalog({
      [`${fits}.yaml`]: withLine(5, "environments: [sandbox1]", withLine(1, `name: ${fits}`)),
    });
    expect(loadCatalog(ok, stacks).map((f) => f.entry.name)).toEqual([fits]);
  });
});

describe("cron schedules", () => {
  const cron = (expression: string) =>
    problems(withLine(7, `  schedule: "${expression}"`)).map((p) =>
      p.replace(` (${CRON_ALLOWED})`, " (ALLOWED)"),
    );
  it.each([
    ["0 3 * *", "has 4 fields, expected 5"],
    ["0 3 * * 1 2026", "has 6 fields, expected 5"],
    ["61 3 * * *", "minute 61 is out of range 0-59"],
    ["0 24 * * *", "hour 24 is out of range 0-23"],
    ["0 3 32 * *", "day-of-month 32 is out of range 1-31"],
    ["0 3 * 13 *", "month 13 is out of range 1-12"],
    ["0 3 * * 8", "day-of-week 8 is out of range 0-7"],
    ["*/0 * * * *", "minute step must be at least 1"],
    ["5/2 * * * *", 'minute step needs a range or * before it ("5/2")'],
    ["0 x * * *", 'hour "x" is not a number'],
    ["0 5-3 * * *", "hour range 5-3 runs backwards"],
    [
      "0 3 1 * 1",
      "restricts both day-of-month and day-of-week, which Databricks (Quartz) schedules cannot express; restrict one and leave the other *",
    ],
  ])("%s: %s", (expression, why) => {
    expect(cron(expression)).toEqual([
      `F:7: training.schedule: "${expression}" is not a valid cron expression: ${why} (ALLOWED)`,
    ]);
  });

  it("states what is allowed", () => {
    expect(CRON_ALLOWED).toBe(
      "5 fields: minute hour day-of-month month day-of-week, each *, a number, a range a-b, a step */n or a-b/n, or a comma list; or @hourly, @daily, @weekly, @monthly, @yearly",
    );
    const dir = writeCatalog({ "churn-model.yaml": withLine(7, '  schedule: "@daily"') });
    expect(loadCatalog(dir, projectStacks())[0].entry.training.schedule).toBe("@daily");
  });
});

describe("emails", () => {
  it.each(["not-an-email", "a@b", "a b@acme-ml.example", "@acme-ml.example"])(
    "%s is refused",
    (email) => {
      expect(problems(withLine(9, `  emails: ["${email}"]`))).toEqual([
        `F:9: notifications.emails[0]: "${email}" is not an email address (name@domain.tld)`,
      ]);
    },
  );
});

describe("environments", () => {
  it("must each have a stack", () => {
    expect(problems(withLine(5, "environments: [dev, qa]"))).toEqual([
      'F:5: environments[1]: environment "qa" has no stack (known: dev, prod)',
    ]);
  });

  it.each(["[prod]", "[prod, dev]"])(
    "never start with a production environment (%s): it would build images and hold CI secrets",
    (list) => {
      expect(problems(withLine(5, `environments: ${list}`))).toEqual([
        'F:5: environments[0]: "prod" is a production environment (stacks/Pulumi.prod.yaml: mlplatform:production); the first environment builds the service\'s images and holds its CI secrets, so list a non-production environment first (e.g. [dev, prod])',
      ]);
    },
  );
});

describe("values the clouds would refuse or that never run", () => {
  it.each([
    [
      '  schedule: "0 0 31 2 *"',
      "training.schedule",
      "day-of-month 31 never occurs in FEB (at most 29 days): the schedule would never fire",
    ],
    [
      '  schedule: "0 0 31 4,6,9,11 *"',
      "training.schedule",
      "day-of-month 31 never occurs in APR,JUN,SEP,NOV (at most 30 days): the schedule would never fire",
    ],
    [
      '  schedule: "*/60 * * * *"',
      "training.schedule",
      "minute step 60 is larger than the field's range 0-59: it would match only the first value; write that value instead",
    ],
  ])("%s is refused with the reason", (line, field, reason) => {
    const [message] = problems(withLine(7, line));
    expect(message).toBe(
      `F:7: ${field}: "${line.split('"')[1]}" is not a valid cron expression: ${reason} (${CRON_ALLOWED})`,
    );
  });

  it("accepts February 29th and 30th in months that have it", () => {
    for (const cron of ["0 0 29 2 *", "0 0 30,31 2,4 *"]) {
      const dir = writeCatalog({ "churn-model.yaml": withLine(7, `  schedule: "${cron}"`) });
      expect(loadCatalog(dir, projectStacks())).toHaveLength(1);
    }
  });

  it("checks time zones against the IANA database, not a pattern", () => {
    const entry = `${VALID_ENTRY.replace('  schedule: "0 3 * * 1"', '  schedule: "0 3 * * 1"\n  timezone: Mars/Olympus_Mons')}`;
    expect(problems(entry)).toEqual([
      'F:8: training.timezone: "Mars/Olympus_Mons" is not a time zone of the IANA database (e.g. UTC, Europe/Berlin, America/New_York)',
    ]);
    const berlin = VALID_ENTRY.replace(
      '  schedule: "0 3 * * 1"',
      '  schedule: "0 3 * * 1"\n  timezone: Europe/Berlin',
    );
    expect(loadCatalog(writeCatalog({ "churn-model.yaml": berlin }), projectStacks())).toHaveLength(
      1,
    );
  });

  it("treats GitHub handles case-insensitively", () => {
    expect(problems(withLine(4, "owners: [ann-ml, Ann-ML]"))).toEqual([
      'F:4: owners[1]: "Ann-ML" is "ann-ml" again (GitHub handles are case-insensitive)',
    ]);
  });

  it("refuses text that is blank once trimmed", () => {
    expect(problems(withLine(2, 'description: "   "'))).toEqual([
      "F:2: description: is blank (write some text, or leave the field out)",
    ]);
  });
});

describe("the name registry", () => {
  it("refuses a service that would derive a platform name, naming both owners", () => {
    const base = withLine(1, "name: base");
    expect(problems(base, "base.yaml")).toEqual([
      'F:1: name: ECR repository "mlp/base-dev" of service base (F, dev) is also the ECR repository of the platform (stacks/Pulumi.dev.yaml) (AWS account 111111111111 eu-west-1); two owners cannot share one resource',
    ]);
  });

  it("refuses an adopted name that another service derives", () => {
    const dir = writeCatalog({
      "churn-model.yaml": VALID_ENTRY,
      "other-model.yaml": `${withLine(1, "name: other-model")}adopt:\n  dev:\n    artifactsBucket: mlp-churn-model-dev-artifacts\n`,
    });
    expect(problemsOf(dir).map((p) => p.split(`${dir}/`).join(""))).toEqual([
      // Reported at the adopt field that names the resource.
      'other-model.yaml:12: adopt.dev.artifactsBucket: S3 bucket "mlp-churn-model-dev-artifacts" of service other-model (other-model.yaml, dev) is also the S3 bucket of service churn-model (churn-model.yaml, dev); two owners cannot share one resource',
    ]);
  });

  it("lists the reserved service names in the schema's description of name", () => {
    const schema = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, "services", "schema.json"), "utf8"),
    );
    for (const reserved of RESERVED_SERVICE_NAMES) {
      expect(schema.properties.name.description).toContain(`\`${reserved}\``);
    }
  });
});

describe("model schemas", () => {
  it("are one per environment: two environments sharing one are refused, naming both files", () => {
    const [dev, prod] = projectStacks();
    const shared = { ...prod, settings: { ...prod.settings, modelCatalog: "ml_dev" } };
    expect(modelSchemaProblems([dev, prod])).toEqual([]);
    expect(modelSchemaProblems([dev, shared])).toEqual([
      'stacks/Pulumi.prod.yaml: mlplatform:modelSchema: ml_dev.models is already the model schema of environment "dev" (stacks/Pulumi.dev.yaml); every environment needs its own modelCatalog/modelSchema, or their models would be one and the same',
    ]);
    // Shards of one environment share its schema.
    const shard = { ...dev, stack: "dev-b", file: "stacks/Pulumi.dev-b.yaml" };
    expect(modelSchemaProblems([dev, shard])).toEqual([]);
  });
});

describe("image pins", () => {
  const SHA = "0123456789abcdef0123456789abcdef01234567";
  const DIGEST = `sha256:${"0f".repeat(32)}`;
  const pinned = (env: string, gitSha = SHA, digest = DIGEST) =>
    `${withLine(5, "environments: [dev, prod]")}images:\n  ${env}:\n    gitSha: ${gitSha}\n    digest: ${digest}\n`;

  it("are accepted per environment the service is in", () => {
    const dir = writeCatalog({ "churn-model.yaml": pinned("prod") });
    const [file] = loadCatalog(dir, projectStacks());
    expect(file.entry.images).toEqual({ prod: { gitSha: SHA, digest: DIGEST } });
  });

  it("default to none", () => {
    const dir = writeCatalog({ "churn-model.yaml": VALID_ENTRY });
    expect(loadCatalog(dir, projectStacks())[0].entry.images).toEqual({});
  });

  it("name only environments the service is in", () => {
    const entry = `${VALID_ENTRY}images:\n  prod:\n    gitSha: ${SHA}\n    digest: ${DIGEST}\n`;
    expect(problems(entry)).toEqual([
      'F:11: images.prod: pins an image for "prod", which is not in environments (dev)',
    ]);
  });

  it.each([
    [
      "a short sha",
      pinned("prod", "0123abc"),
      'F:12: images.prod.gitSha: "0123abc" is not valid (a full commit sha: 40 lowercase hex characters)',
    ],
    [
      "a tag as digest",
      pinned("prod", SHA, "latest"),
      'F:13: images.prod.digest: "latest" is not valid (an image digest: sha256: and 64 lowercase hex characters)',
    ],
    [
      "a bad environment key",
      pinned("Prod"),
      'F:11: images.Prod: "Prod" is not valid (an environment name such as dev or prod)',
    ],
  ])("refuse %s with the field and the allowed form", (_label, entry, message) => {
    expect(problems(entry)).toEqual([message]);
  });

  it("refuse a pin without its digest", () => {
    const entry = `${withLine(5, "environments: [dev, prod]")}images:\n  prod:\n    gitSha: ${SHA}\n`;
    expect(problems(entry)).toEqual([
      expect.stringMatching(
        /^F:\d+: images\.prod\.digest: is required \(Digest of the image's manifest/,
      ),
    ]);
  });
});

describe("YAML syntax errors", () => {
  it.each([
    [withLine(3, "team: growth: extra"), 3, "Nested mappings are not allowed in compact mappings"],
    [withLine(2, 'description: "Predicts'), 2, 'Missing closing "quote'],
  ])("%#: are reported with their line", (content, line, message) => {
    expect(problems(content)).toEqual([
      `F:${line}: YAML syntax error: ${message} (fix the YAML; see the examples in services/)`,
    ]);
  });
});

describe("every problem of every file at once", () => {
  it("a broken file does not hide the problems of the others", () => {
    const dir = writeCatalog({
      "a-broken.yaml": "name: a-broken\n  bad: [\n",
      "churn-model.yaml": withLine(7, '  schedule: "0 25 * * *"'),
      "demand.yaml": withLine(1, "name: demand", withLine(9, "  emails: [nope]")),
    });
    const lines = problemsOf(dir);
    expect(lines.map((l) => path.basename(l.split(":")[0]))).toEqual([
      "a-broken.yaml",
      "a-broken.yaml",
      "a-broken.yaml",
      "churn-model.yaml",
      "demand.yaml",
    ]);
  });
});

describe("the acceptance scenario, through the real commands", () => {
  // One catalog: a misspelt field, a bad cron, an upper-case name, a duplicate name, broken YAML.
  const dir = writeCatalog({
    "churn-model.yaml": VALID_ENTRY.replace("  schedule:", "  shedule:"),
    "demand.yaml": withLine(1, "name: demand", withLine(7, '  schedule: "0 3 * * 9"')),
    "Pricing.yaml": withLine(1, "name: Pricing"),
    "search.yaml": withLine(1, "name: demand"),
    "zz-broken.yaml": "name: zz-broken\nowners: [ann-ml\nteam: growth\n",
  });
  const file = (name: string) => path.join(dir, name);
  const expected = [
    `${file("Pricing.yaml")}:1: name: "Pricing" is not valid (${NAME_RULE})`,
    `${file("churn-model.yaml")}:7: training.shedule: unknown field "shedule" (did you mean schedule? allowed: ${TRAINING_FIELDS})`,
    `${file("demand.yaml")}:7: training.schedule: "0 3 * * 9" is not a valid cron expression: day-of-week 9 is out of range 0-7 (${CRON_ALLOWED})`,
    `${file("search.yaml")}:1: name: "demand" does not match the file name (rename the file to demand.yaml, or set name: search)`,
    `${file("search.yaml")}:1: name: "demand" is already used by ${file("demand.yaml")} (service names must be unique across the catalog)`,
  ];

  it("is refused in-process with one problem per mistake", () => {
    const lines = problemsOf(dir);
    expect(lines.slice(0, 5)).toEqual(expected);
    const broken = lines.slice(5);
    expect(broken.length).toBeGreaterThanOrEqual(1);
    for (const line of broken) {
      expect(line).toMatch(
        new RegExp(
          `^${escapeRegExp(file("zz-broken.yaml"))}:[23]: YAML syntax error: .+ \\(fix the YAML; see the examples in services/\\)$`,
        ),
      );
    }
  });

  it("npm run validate exits 1 with one line per problem, each naming its file, and no stack trace", () => {
    const result = runCli("validate", ["--services", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    const lines = problemLines(result.stderr);
    expect(lines).toEqual(problemsOf(dir));
    expect(lines.slice(0, 5)).toEqual(expected);
    for (const line of lines) expect(line.startsWith(dir + path.sep)).toBe(true);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr.split("\n")[0]).toBe(
      `error: the catalog or stack settings are invalid (${lines.length} problems); nothing was planned:`,
    );
  });

  it("npm run plan exits 1 with the same lines and prints no resources", () => {
    const out = path.join(dir, "..", `${path.basename(dir)}-plan.json`);
    const result = runCli("plan", ["--services", dir, "--json", out]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(problemLines(result.stderr)).toEqual(problemsOf(dir));
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toMatch(/resources|Total:/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe("an unquoted cron", () => {
  it("gets the hint to quote it", () => {
    expect(problems(withLine(7, "  schedule: */5 * * * *"))).toEqual([
      'F:7: YAML syntax error: Unexpected alias at node end (quote the cron expression: schedule: "*/5 * * * *")',
    ]);
  });
});
