import * as fs from "fs";
import * as path from "path";
import { NEW_STACK_COMMAND, runNewStackCommand, settingFlag } from "../../cli/new-stack";
import { helpText } from "../../cli/command";
import { SETTINGS } from "../../catalog/settings";
import { readStackFile } from "../../catalog/stacks";
import { FakeWorkspace, harness, makeProject, TEAM_BACKEND } from "./fixtures";

const PASS = { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/passphrase", PULUMI_BACKEND_URL: TEAM_BACKEND };
const FLAGS = [
  "--environment",
  "stg",
  "--aws-account-id",
  "333333333333",
  "--deploy-role-arn",
  "arn:aws:iam::333333333333:role/mlplatform-deploy-stg",
  "--model-catalog",
  "ml_stg",
  "--model-schema",
  "models",
  "--aws-region",
  "eu-central-1",
  "--name-prefix",
  "mlps",
  "--github-organization",
  "acme-ml",
  "--drone-server",
  "https://drone.acme-ml.example",
  "--drone-runner-role-arn",
  "arn:aws:iam::333333333333:role/drone-runner-stg",
  "--databricks-host",
  "https://dbc-stg-1.cloud.databricks.com",
  "--databricks-client-id",
  "11111111-2222-3333-4444-555555555555",
  "--databricks-cross-account-role-arn",
  "arn:aws:iam::333333333333:role/databricks-cross-account-stg",
];

describe("npm run new-stack", () => {
  it("writes a stack file with every required key that validates, creates the stack and prints the secret commands", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, PASS);
    const argv = [
      "--name",
      "staging",
      "--secrets-provider",
      "awskms://alias/pulumi-mlplatform",
      ...FLAGS,
      "--protect-data",
      "true",
    ];
    expect(await runNewStackCommand(argv, h.ctx)).toBe(0);

    const file = path.join(project.stacksDir, "Pulumi.staging.yaml");
    const info = readStackFile(file);
    expect(info.settings).toMatchObject({
      stack: "staging",
      environment: "stg",
      awsRegion: "eu-central-1",
      namePrefix: "mlps",
      droneRunnerRoleArn: "arn:aws:iam::333333333333:role/drone-runner-stg",
      protectData: true,
      orchestrator: "databricks",
    });
    expect(Object.keys(info.config).sort()).toEqual(
      [
        "awsAccountId",
        "awsRegion",
        "databricksClientId",
        "databricksCrossAccountRoleArn",
        "databricksHost",
        "deployRoleArn",
        "droneRunnerRoleArn",
        "droneServer",
        "environment",
        "githubOrganization",
        "modelCatalog",
        "modelSchema",
        "namePrefix",
        "protectData",
      ]
        .map((k) => `mlplatform:${k}`)
        .concat("pulumi:disable-default-providers")
        .sort(),
    );
    expect(info.config["pulumi:disable-default-providers"]).toEqual(["*"]);
    expect(fs.readFileSync(file, "utf8")).not.toMatch(
      /githubToken|databricksClientSecret|droneToken/,
    );
    expect(fake.calls).toEqual([
      {
        method: "createStack",
        location: {
          stackName: "staging",
          workDir: project.dir,
          envVars: { PULUMI_BACKEND_URL: TEAM_BACKEND },
        },
        secretsProvider: "awskms://alias/pulumi-mlplatform",
      },
    ]);
    expect(h.out).toContain("  pulumi config set --secret mlplatform:githubToken --stack staging");
    expect(h.out).toContain(
      "  pulumi config set --secret mlplatform:databricksClientSecret --stack staging",
    );
    expect(h.out).toContain("  pulumi config set --secret mlplatform:droneToken --stack staging");
    expect(h.out).toContain(
      `created stack staging in ${TEAM_BACKEND} (secrets provider: awskms://alias/pulumi-mlplatform)`,
    );
  });

  it("--from copies another stack's plain settings (never its secrets); flags override them", async () => {
    const project = makeProject({ secrets: true });
    const h = harness(project, new FakeWorkspace(), PASS);
    const argv = [
      "--name",
      "qa",
      "--secrets-provider",
      "passphrase",
      "--from",
      "prod",
      "--environment",
      "qa",
      "--artifact-retention-days",
      "60",
    ];
    expect(await runNewStackCommand(argv, h.ctx)).toBe(0);
    const file = path.join(project.stacksDir, "Pulumi.qa.yaml");
    const info = readStackFile(file);
    const prod = readStackFile(path.join(project.stacksDir, "Pulumi.prod.yaml"));
    expect(info.settings).toEqual({
      ...prod.settings,
      stack: "qa",
      environment: "qa",
      artifactRetentionDays: 60,
    });
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toContain("secure");
    expect(text).not.toContain("encryptionsalt");
  });

  it("--no-init writes the file only and prints the pulumi stack init command", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake, {});
    expect(
      await runNewStackCommand(
        ["--name", "sandbox", "--secrets-provider", "passphrase", "--no-init", ...FLAGS],
        h.ctx,
      ),
    ).toBe(0);
    expect(fake.opened).toBe(0);
    expect(fs.existsSync(path.join(project.stacksDir, "Pulumi.sandbox.yaml"))).toBe(true);
    expect(h.out).toContain(
      "  npm run new-stack -- --name sandbox --existing --secrets-provider 'passphrase'",
    );
  });

  it("refuses to overwrite an existing stack file", async () => {
    const project = makeProject();
    const file = path.join(project.stacksDir, "Pulumi.dev.yaml");
    const before = fs.readFileSync(file, "utf8");
    const fake = new FakeWorkspace();
    const h = harness(project, fake, PASS);
    expect(
      await runNewStackCommand(
        ["--name", "dev", "--secrets-provider", "passphrase", ...FLAGS],
        h.ctx,
      ),
    ).toBe(1);
    expect(h.err.slice(1).join("\n")).toBe(
      `error: ${path.relative(process.cwd(), file).startsWith("..") ? file : path.relative(process.cwd(), file)} already exists; nothing was changed. Edit it, or pick another --name; to create the backend's stack for it: npm run new-stack -- --name dev --existing --secrets-provider 'passphrase'.`,
    );
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    expect(fake.calls).toEqual([]);
  });

  it("lists the missing required settings (usage error, nothing written)", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace(), PASS);
    const code = await runNewStackCommand(
      ["--name", "qa", "--secrets-provider", "passphrase", "--environment", "qa"],
      h.ctx,
    );
    expect(code).toBe(2);
    const first = h.err[1].split("\n")[0];
    expect(first).toMatch(
      /^error: missing settings for stack qa: --aws-account-id \(AWS account of this stack/,
    );
    for (const key of [
      "deployRoleArn",
      "awsRegion",
      "namePrefix",
      "modelCatalog",
      "modelSchema",
      "githubOrganization",
      "droneServer",
      "droneRunnerRoleArn",
      "databricksHost",
      "databricksClientId",
    ]) {
      expect(first).toContain(`--${settingFlag(key)} (`);
      expect(first).not.toContain(`--${key} (`);
    }
    expect(first).not.toContain("--environment (");
    expect(fs.existsSync(path.join(project.stacksDir, "Pulumi.qa.yaml"))).toBe(false);
  });

  it("refuses an invalid value, naming the key and what is allowed", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace(), PASS);
    const argv = [
      "--name",
      "qa",
      "--secrets-provider",
      "passphrase",
      ...FLAGS,
      "--aws-region",
      "moon-base-1",
    ];
    // --aws-region given twice is itself a usage error; replace the value instead.
    argv.splice(argv.indexOf("eu-central-1") - 1, 2);
    expect(await runNewStackCommand(argv, h.ctx)).toBe(1);
    expect(h.err.join("\n")).toContain(
      "new stack qa: mlplatform:awsRegion: invalid value (expected matching",
    );
    expect(fs.existsSync(path.join(project.stacksDir, "Pulumi.qa.yaml"))).toBe(false);
  });

  it("needs the passphrase before creating a passphrase stack, and the CLI before writing anything", async () => {
    const project = makeProject();
    const noPass = harness(project, new FakeWorkspace(), { PULUMI_BACKEND_URL: TEAM_BACKEND });
    expect(
      await runNewStackCommand(
        ["--name", "qa", "--secrets-provider", "passphrase", ...FLAGS],
        noPass.ctx,
      ),
    ).toBe(1);
    expect(noPass.err.join("\n")).toContain("set PULUMI_CONFIG_PASSPHRASE_FILE");

    const noCli = harness(project, new FakeWorkspace({ cliMissing: true }), PASS);
    expect(
      await runNewStackCommand(
        ["--name", "qa", "--secrets-provider", "passphrase", ...FLAGS],
        noCli.ctx,
      ),
    ).toBe(1);
    expect(noCli.err.join("\n")).toContain(
      "curl -fsSL https://get.pulumi.com | sh -s -- --version",
    );
    expect(fs.existsSync(path.join(project.stacksDir, "Pulumi.qa.yaml"))).toBe(false);
  });

  it("usage errors: no name, bad name, no or unknown secrets provider", async () => {
    const project = makeProject();
    const cases: [string[], string][] = [
      [["--secrets-provider", "passphrase"], "error: --name is required"],
      [
        ["--name", "Prod_2", "--secrets-provider", "passphrase"],
        "error: --name Prod_2: a stack name is lowercase",
      ],
      [
        ["--name", "qa"],
        "error: --secrets-provider is required (e.g. --secrets-provider awskms://alias/pulumi-mlplatform)",
      ],
      [
        ["--name", "qa", "--secrets-provider", "plaintext"],
        "error: --secrets-provider plaintext: expected passphrase, default, or a KMS URL",
      ],
      [
        ["--name", "qa", "--secrets-provider", "passphrase", "--githubToken", "ghp_x"],
        "error: Unknown option '--githubToken'",
      ],
    ];
    for (const [argv, start] of cases) {
      const h = harness(project, new FakeWorkspace(), PASS);
      expect(await runNewStackCommand(argv, h.ctx)).toBe(2);
      expect(h.err[0].startsWith(start)).toBe(true);
    }
  });

  it("checks the CLI before anything else, even before the stack file and its settings", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace({ cliMissing: true }), {});
    expect(
      await runNewStackCommand(["--name", "dev", "--secrets-provider", "passphrase"], h.ctx),
    ).toBe(1);
    expect(h.err.join("\n")).toMatch(/^error: the Pulumi CLI cannot be run/);
  });

  it("--existing creates the backend's stack for a committed stack file, and nothing else", async () => {
    const project = makeProject({ secrets: false });
    const file = path.join(project.stacksDir, "Pulumi.dev.yaml");
    const before = fs.readFileSync(file, "utf8");
    const fake = new FakeWorkspace();
    const h = harness(project, fake, PASS);
    const argv = ["--name", "dev", "--existing", "--secrets-provider", "awskms://alias/pulumi-dev"];
    expect(await runNewStackCommand(argv, h.ctx)).toBe(0);
    expect(fake.calls).toEqual([
      {
        method: "createStack",
        location: {
          stackName: "dev",
          workDir: project.dir,
          envVars: { PULUMI_BACKEND_URL: TEAM_BACKEND },
        },
        secretsProvider: "awskms://alias/pulumi-dev",
      },
    ]);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
    expect(h.err[0]).toBe(`state backend: ${TEAM_BACKEND} (from PULUMI_BACKEND_URL)`);
    expect(h.out).toContain("  pulumi config set --secret mlplatform:githubToken --stack dev");
    expect(h.out.join("\n")).toContain("commit that change");
  });

  it("--existing refuses settings flags, a missing file, and another secrets provider than the file's", async () => {
    const project = makeProject();
    const cases: [string[], number, string][] = [
      [
        ["--name", "dev", "--existing", "--secrets-provider", "passphrase", "--aws-region", "x"],
        2,
        "error: --existing uses the committed stack file as it is: --aws-region cannot be used with it",
      ],
      [
        ["--name", "qa", "--existing", "--secrets-provider", "passphrase"],
        1,
        "For a new environment, run new-stack without --existing.",
      ],
      [
        ["--name", "dev", "--existing", "--secrets-provider", "awskms://alias/other"],
        1,
        "already names the secrets provider passphrase",
      ],
    ];
    for (const [argv, code, message] of cases) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake, PASS);
      expect(await runNewStackCommand(argv, h.ctx)).toBe(code);
      expect(h.err.join("\n")).toContain(message);
      expect(fake.calls).toEqual([]);
    }
  });

  it("without a backend, creates nothing and says how to choose one (or --local)", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/passphrase" });
    const argv = ["--name", "qa", "--secrets-provider", "passphrase", ...FLAGS];
    expect(await runNewStackCommand(argv, h.ctx)).toBe(1);
    expect(h.err.join("\n")).toContain("no state backend is configured");
    expect(fs.existsSync(path.join(project.stacksDir, "Pulumi.qa.yaml"))).toBe(false);

    const local = harness(project, fake, { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/passphrase" });
    expect(await runNewStackCommand([...argv, "--local"], local.ctx)).toBe(0);
    expect(fake.calls[0].location?.envVars).toEqual({
      PULUMI_BACKEND_URL: `file://${project.dir}/.pulumi-state`,
    });
  });

  it("accepts the camelCase spelling of the previous release, with one deprecation line per flag", async () => {
    const project = makeProject({ secrets: false });
    const h = harness(project, new FakeWorkspace(), PASS);
    const camel = FLAGS.map((a) =>
      a.startsWith("--")
        ? `--${a.slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}`
        : a,
    );
    expect(camel).toContain("--awsAccountId");
    expect(
      await runNewStackCommand(
        ["--name", "old", "--secrets-provider", "passphrase", ...camel],
        h.ctx,
      ),
    ).toBe(0);
    const warnings = h.err.filter((l) => l.startsWith("warning: "));
    expect(warnings).toHaveLength(12);
    expect(warnings).toContain(
      "warning: --awsAccountId is deprecated and will be removed in the next release: use --aws-account-id",
    );
    expect(warnings.some((w) => w.includes("--environment"))).toBe(false);
    const info = readStackFile(path.join(project.stacksDir, "Pulumi.old.yaml"));
    expect(info.settings.awsAccountId).toBe("333333333333");
    expect(info.settings.databricksCrossAccountRoleArn).toBe(
      "arn:aws:iam::333333333333:role/databricks-cross-account-stg",
    );
  });

  it("refuses a setting given in both spellings, and prints no warning for the new one", async () => {
    const project = makeProject();
    const both = harness(project, new FakeWorkspace(), PASS);
    const argv = ["--name", "qa", "--secrets-provider", "passphrase", ...FLAGS, "--awsRegion", "x"];
    expect(await runNewStackCommand(argv, both.ctx)).toBe(2);
    expect(both.err[0].split("\n")[0]).toBe(
      "error: --aws-region and --awsRegion are the same option (--awsRegion is its old spelling): give it once, as --aws-region",
    );
    const kebab = harness(project, new FakeWorkspace(), PASS);
    await runNewStackCommand(
      ["--name", "qa2", "--secrets-provider", "passphrase", ...FLAGS],
      kebab.ctx,
    );
    expect(kebab.err.filter((l) => l.startsWith("warning: "))).toEqual([]);
  });

  it("--help lists every plain setting as a kebab-case flag with its default, never a secret one", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace(), PASS);
    expect(await runNewStackCommand(["--name", "x", "--help"], h.ctx)).toBe(0);
    const help = h.out.join("\n");
    expect(help).toBe(helpText(NEW_STACK_COMMAND));
    for (const s of SETTINGS) {
      if (s.secret) {
        expect(help).not.toContain(`--${settingFlag(s.key)}`);
        expect(help).not.toContain(`--${s.key}`);
      } else expect(help).toContain(`--${settingFlag(s.key)} `);
    }
    expect(help).toContain("--artifact-retention-days VALUE");
    expect(help).toContain("default: 90; example: --artifact-retention-days 90");
    expect(help).toContain("--account-tags JSON");
    expect(help).toContain(
      "deprecated spellings, accepted until the next release: --awsAccountId (use --aws-account-id),",
    );
    expect(h.err).toEqual([]);
  });
});
