/**
 * What a stack file may hold outside the mlplatform namespace: no plain-text provider credential
 * (refused by `npm run validate`, naming the file and the key), no provider setting the program
 * would ignore, and `pulumi:disable-default-providers: ["*"]` in every stack.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CI_COMMAND, runCi } from "../../cli/ci";
import { helpText, usageLine } from "../../cli/command";
import {
  credentialKeySet,
  deployConfigProblems,
  PROVIDER_PACKAGES,
  schemaSecretKeys,
} from "../../catalog/stack-config";
import { SettingsError } from "../../catalog/settings";
import { readStackFile, readStacks } from "../../catalog/stacks";
import { runCompiled } from "../helpers/compiled-run";
import { REPO } from "./fixtures";

function stacksCopy(extra: string, stack = "dev"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
  fs.cpSync(path.join(REPO, "stacks"), dir, { recursive: true });
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("config:\n", `config:\n${extra}`));
  return dir;
}

function problemsOf(file: string): string[] {
  try {
    readStackFile(file);
  } catch (e) {
    if (e instanceof SettingsError) return e.problems;
    throw e;
  }
  return [];
}

describe("plain-text provider credentials in a stack file", () => {
  const KEYS = [
    "aws:secretKey",
    "aws:accessKey",
    "aws:token",
    "github:token",
    "databricks:clientSecret",
    "databricks:token",
    "databricks:password",
  ];

  it("are refused for every reader of stack files, naming the file and the key", () => {
    for (const key of KEYS) {
      const dir = stacksCopy(`  ${key}: not-a-real-value-123\n`);
      const file = path.join(dir, "Pulumi.dev.yaml");
      const problems = problemsOf(file);
      expect([key, problems.length]).toEqual([key, 1]);
      expect(problems[0]).toContain(`${file}: ${key} is a credential in plain text`);
      expect(problems[0]).toContain("rotate it");
      expect(problems[0]).not.toContain("not-a-real-value-123");
    }
  });

  it("name where the value belongs instead", () => {
    const cases: [string, string][] = [
      ["aws:secretKey", "deploy as the stack's mlplatform:deployRoleArn"],
      ["github:token", "pulumi config set --secret mlplatform:githubToken"],
      ["databricks:clientSecret", "pulumi config set --secret mlplatform:databricksClientSecret"],
      [
        "databricks:password",
        "mlplatform:databricksClientId and the secret mlplatform:databricksClientSecret",
      ],
    ];
    for (const [key, advice] of cases) {
      const dir = stacksCopy(`  ${key}: x\n`);
      expect(problemsOf(path.join(dir, "Pulumi.dev.yaml"))[0]).toContain(advice);
    }
  });

  it("include every setting the provider's schema marks secret (from the installed SDKs)", () => {
    expect(schemaSecretKeys("aws").sort()).toEqual(["aws:accessKey", "aws:secretKey", "aws:token"]);
    expect(schemaSecretKeys("github")).toEqual(["github:token"]);
    expect(schemaSecretKeys("databricks")).toEqual(
      expect.arrayContaining([
        "databricks:azureClientSecret",
        "databricks:clientSecret",
        "databricks:googleCredentials",
        "databricks:password",
        "databricks:token",
      ]),
    );
    const dir = stacksCopy("  databricks:azureClientSecret: x\n");
    expect(problemsOf(path.join(dir, "Pulumi.dev.yaml"))[0]).toContain(
      "databricks:azureClientSecret is a credential in plain text",
    );
    for (const key of credentialKeySet()) {
      expect(PROVIDER_PACKAGES).toContain(key.split(":")[0] as (typeof PROVIDER_PACKAGES)[number]);
    }
  });

  it("the provider namespaces checked are exactly the program's provider packages", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const providers = Object.keys(pkg.dependencies)
      .filter((d) => d.startsWith("@pulumi/") && !["@pulumi/pulumi", "@pulumi/policy"].includes(d))
      .map((d) => d.slice("@pulumi/".length))
      .sort();
    expect([...PROVIDER_PACKAGES]).toEqual(providers);
  });

  it("npm run validate exits 1 and names the file and the key", async () => {
    const dir = stacksCopy("  aws:secretKey: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", "prod");
    // The compiled command, as the npm script runs it.
    const r = await runCompiled("validate", ["--stacks", dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `${path.join(dir, "Pulumi.prod.yaml")}: aws:secretKey is a credential in plain text`,
    );
    expect(r.stdout + r.stderr).not.toContain("wJalrXUtnFEMI");
  });

  it("an encrypted (secure) value is not a plain-text credential", () => {
    const dir = stacksCopy("  github:token:\n    secure: v1:c2FsdA==:Y2lwaGVy\n");
    expect(problemsOf(path.join(dir, "Pulumi.dev.yaml"))).toEqual([]);
    // The deploy commands still refuse it: default providers are disabled, nothing would read it.
    const info = readStackFile(path.join(dir, "Pulumi.dev.yaml"));
    expect(deployConfigProblems(info.config, info.file)).toEqual([
      expect.stringContaining("github:token is not used"),
    ]);
  });
});

describe("the stack files of this repository", () => {
  it('every one sets pulumi:disable-default-providers to ["*"] and passes the deploy checks', () => {
    const stacks = readStacks(path.join(REPO, "stacks"));
    expect(stacks.length).toBeGreaterThanOrEqual(2);
    for (const info of stacks) {
      const value = info.config["pulumi:disable-default-providers"];
      expect([info.stack, value]).toEqual([info.stack, ["*"]]);
      expect([info.stack, deployConfigProblems(info.config, info.file)]).toEqual([info.stack, []]);
    }
  });

  it("CI's stack listing fails on a stack file without it, naming the file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
    fs.cpSync(path.join(REPO, "stacks"), dir, { recursive: true });
    const file = path.join(dir, "Pulumi.prod.yaml");
    const guard = /  pulumi:disable-default-providers:\n    - "\*"\n/;
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(guard, ""));
    const out: string[] = [];
    const err: string[] = [];
    const code = runCi(
      ["matrix", "--stacks", dir],
      {},
      REPO,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    expect(code).toBe(1);
    expect(out).toEqual([]);
    expect(err.join("\n")).toContain(
      `${file}: config pulumi:disable-default-providers must be ["*"]`,
    );
  });
});

describe("deploy/ci.ts", () => {
  const run = (argv: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runCi(
      argv,
      env,
      REPO,
      (l) => out.push(l),
      (l) => err.push(l),
    );
    return { code, out, err: err.join("\n") };
  };

  it("answers --help, and refuses an unknown option or command with exit 2 and the usage", () => {
    expect(run(["--help"])).toEqual({ code: 0, out: [helpText(CI_COMMAND)], err: "" });
    expect(run(["list", "--bogus"])).toEqual({
      code: 2,
      out: [],
      err: `error: Unknown option '--bogus'\n${usageLine(CI_COMMAND)}`,
    });
    expect(run(["deploy"]).err.split("\n")[0]).toBe(
      'error: unknown command "deploy" (matrix, list, stack-env)',
    );
    expect(run(["stack-env"]).code).toBe(2);
  });

  it("stack-env: the deploy role is the stack file's mlplatform:deployRoleArn", () => {
    expect(run(["stack-env", "--stack", "dev"]).out).toEqual([
      "account-id=111111111111",
      "region=eu-west-1",
      "production=false",
      "deploy-role-arn=arn:aws:iam::111111111111:role/mlplatform-deploy-dev",
      "role-arn=arn:aws:iam::111111111111:role/mlplatform-deploy-dev",
    ]);
  });

  it("stack-env --role preview: the read-only role of PULUMI_PREVIEW_ROLE_ARNS, in the stack's account", () => {
    const roles = JSON.stringify({
      prod: "arn:aws:iam::222222222222:role/mlplatform-preview-prod",
      dev: "arn:aws:iam::999999999999:role/elsewhere",
    });
    const prod = run(["stack-env", "--stack", "prod", "--role", "preview"], {
      PULUMI_PREVIEW_ROLE_ARNS: roles,
    });
    expect(prod.out).toContain("role-arn=arn:aws:iam::222222222222:role/mlplatform-preview-prod");
    const dev = run(["stack-env", "--stack", "dev", "--role", "preview"], {
      PULUMI_PREVIEW_ROLE_ARNS: roles,
    });
    expect(dev.code).toBe(1);
    expect(dev.err).toContain('no read-only preview role for stack "dev"');
    expect(run(["stack-env", "--stack", "dev", "--role", "preview"]).code).toBe(1);
  });

  it("list: one stack per line, split by mlplatform:production", () => {
    expect(run(["list"]).out).toEqual(["dev", "prod"]);
    expect(run(["list", "--nonproduction"]).out).toEqual(["dev"]);
    expect(run(["list", "--production"]).out).toEqual(["prod"]);
    expect(run(["nope"]).code).toBe(2);
  });
});
