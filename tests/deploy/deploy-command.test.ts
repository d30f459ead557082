import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DEPLOY_COMMANDS, OPERATIONS, runDeployCommand } from "../../cli/deploy";
import { usageLine } from "../../cli/command";
import type { Operation } from "../../deploy/workspace";
import { cliErrorLines, openPulumiWorkspace, runOperation } from "../../deploy/automation";
import { OperationFailedError, PulumiCliMissingError } from "../../deploy/errors";
import { runPlan } from "../../offline/plan/run";
import { displayPath } from "../../catalog/stacks";
import {
  addPrefixSibling,
  FakeWorkspace,
  harness,
  LAPTOP_ENV,
  makeProject,
  outputsEvent,
  preEvent,
  summaryEvent,
  TEAM_BACKEND,
} from "./fixtures";

const STACK_TRACE = /^\s+at .+\(.*:\d+:\d+\)$/m;

describe("operations", () => {
  it("prints one line per resource operation (op, type, name), skips unchanged ones, then the counts", async () => {
    const project = makeProject();
    const changes = { create: 2, update: 1, same: 40 };
    const fake = new FakeWorkspace({
      events: [
        preEvent("create", "aws:s3/bucket:Bucket", "churn-store-artifacts"),
        preEvent("same", "aws:ecr/repository:Repository", "churn-images"),
        preEvent("update", "databricks:index/job:Job", "churn-training"),
        preEvent("create", "aws:iam/role:Role", "churn-ci"),
        summaryEvent(changes),
      ],
      changes,
    });
    const h = harness(project, fake);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);
    expect(h.out).toEqual([
      "+  create             aws:s3/bucket:Bucket  churn-store-artifacts",
      "~  update             databricks:index/job:Job  churn-training",
      "+  create             aws:iam/role:Role  churn-ci",
      "preview dev: would change: 2 create, 1 update; 40 unchanged",
    ]);
    expect(fake.runs).toEqual([
      {
        method: "run",
        operation: "preview",
        options: {
          target: undefined,
          expectNoChanges: false,
          diff: false,
          policyPacks: [path.join(project.dir, "policy")],
        },
      },
    ]);
  });

  it("writes the preview summary as JSON for CI comments with --json", async () => {
    const project = makeProject();
    const changes = { create: 1, same: 9 };
    const fake = new FakeWorkspace({
      events: [preEvent("create", "aws:s3/bucket:Bucket", "churn-store-artifacts")],
      changes,
    });
    const h = harness(project, fake);
    const code = await runDeployCommand(
      ["preview", "--stack", "dev", "--json", "out/preview-dev.json"],
      h.ctx,
    );
    expect(code).toBe(0);
    const file = path.resolve("out/preview-dev.json");
    expect(JSON.parse(h.written.get(file)!)).toEqual({
      project: "mlplatform",
      stack: "dev",
      operation: "preview",
      service: null,
      backend: TEAM_BACKEND,
      refresh: false,
      changes: { create: 1, same: 9 },
      changed: 1,
      resources: [
        {
          op: "create",
          type: "aws:s3/bucket:Bucket",
          name: "churn-store-artifacts",
          urn: "urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::churn-store-artifacts",
          properties: [],
        },
      ],
    });
  });

  it("--expect-no-changes passes when nothing would change", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({ changes: { same: 124 } });
    const h = harness(project, fake);
    expect(
      await runDeployCommand(
        ["preview", "--stack", "prod", "--expect-no-changes", "--diff"],
        h.ctx,
      ),
    ).toBe(0);
    expect(fake.runs[0].options).toEqual({
      target: undefined,
      expectNoChanges: true,
      diff: true,
      policyPacks: [path.join(project.dir, "policy")],
    });
    expect(h.out).toEqual(["preview prod: no changes; 124 unchanged"]);
  });

  it("--expect-no-changes fails with a drift message naming what to run when something would change", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({
      events: [
        preEvent("update", "aws:s3/bucket:Bucket", "churn-store-artifacts"),
        summaryEvent({ update: 1, same: 5 }),
      ],
      fail: new OperationFailedError("preview", [
        "error: no changes were expected but changes were proposed",
      ]),
    });
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["preview", "--stack", "dev", "--expect-no-changes"], h.ctx),
    ).toBe(1);
    expect(h.err[0]).toBe(`state backend: ${TEAM_BACKEND} (from PULUMI_BACKEND_URL)`);
    expect(h.err[1]).toBe(
      `preview stack dev, state in ${TEAM_BACKEND}, policy pack ${path.join(project.dir, "policy")}`,
    );
    expect(h.err.slice(2).join("\n")).toBe(
      'error: drift: stack "dev" does not match the code (1 resource change listed above).\n' +
        "If the code changed without a deployment, run `npm run up -- --stack dev`; if the cloud was changed by hand, run `npm run refresh -- --stack dev` first, then `npm run up -- --stack dev`.",
    );
  });

  it("reports a failed operation with the CLI's error lines, exit 1, no stack trace", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({
      fail: new OperationFailedError("up", [
        "error: update failed",
        "aws:s3/bucket:Bucket (x): AccessDenied",
      ]),
    });
    const h = harness(project, fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err.slice(2).join("\n")).toBe(
      'error: pulumi up of stack "dev" failed:\n  error: update failed\n  aws:s3/bucket:Bucket (x): AccessDenied',
    );
    expect(h.text()).not.toMatch(STACK_TRACE);
  });
});

describe("destroy confirmation", () => {
  it("refuses without --yes-destroy and says exactly what to type; opens no workspace", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["destroy", "--stack", "dev"], h.ctx)).toBe(2);
    expect(h.err[0]).toContain('error: destroy deletes the resources of stack "dev"');
    expect(h.err[0]).toContain(
      "To confirm, repeat the stack name: npm run destroy -- --stack dev --yes-destroy dev",
    );
    expect(fake.opened).toBe(0);
  });

  it("refuses a confirmation that names another stack", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["destroy", "--stack", "prod", "--yes-destroy", "dev"], h.ctx),
    ).toBe(2);
    expect(h.err[0]).toContain(
      "error: --yes-destroy dev does not match --stack prod; nothing was destroyed. To confirm, type exactly: npm run destroy -- --stack prod --yes-destroy prod",
    );
    expect(fake.opened).toBe(0);
  });

  it("destroys when the confirmation repeats the stack name", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({ changes: { delete: 3 } });
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["destroy", "--stack", "prod", "--yes-destroy", "prod"], h.ctx),
    ).toBe(0);
    expect(fake.runs.map((r) => r.operation)).toEqual(["destroy"]);
    expect(h.out).toEqual(["destroy prod: changed: 3 delete; 0 unchanged"]);
  });
});

describe("--service targets", () => {
  it("targets exactly the service's URNs from the offline plan, not a service whose name it prefixes", async () => {
    const project = makeProject();
    addPrefixSibling(project);
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["up", "--stack", "dev", "--service", "search-ranking"], h.ctx),
    ).toBe(0);

    const plan = await runPlan({
      stack: "dev",
      servicesDir: project.servicesDir,
      stacksDir: project.stacksDir,
    });
    const own = plan.services.find((s) => s.name === "search-ranking")!.resources.map((r) => r.urn);
    const sibling = plan.services
      .find((s) => s.name === "search-ranking-eu")!
      .resources.map((r) => r.urn);
    const target = fake.runs[0].options!.target!;
    expect(target).toEqual(own);
    expect(target.length).toBeGreaterThan(10);
    expect(target).toContain(
      "urn:pulumi:dev::mlplatform::mlplatform:service:MlService::search-ranking",
    );
    expect(target.filter((urn) => sibling.includes(urn))).toEqual([]);
    expect(target.some((urn) => urn.includes("search-ranking-eu"))).toBe(false);
    expect(target.every((urn) => urn.startsWith("urn:pulumi:dev::mlplatform::"))).toBe(true);
    expect(target.some((urn) => urn.includes("*"))).toBe(false);
    expect(h.err.join("\n")).toContain(
      `up stack dev (service search-ranking: ${own.length} resources)`,
    );
  });

  it("takes several services separated by commas: the union of their URNs", async () => {
    const project = makeProject();
    addPrefixSibling(project);
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(
      await runDeployCommand(
        ["preview", "--stack", "dev", "--service", "search-ranking,demand-forecast,search-ranking"],
        h.ctx,
      ),
    ).toBe(0);
    const plan = await runPlan({
      stack: "dev",
      servicesDir: project.servicesDir,
      stacksDir: project.stacksDir,
    });
    const urns = (name: string) =>
      plan.services.find((s) => s.name === name)!.resources.map((r) => r.urn);
    const expected = [...urns("search-ranking"), ...urns("demand-forecast")];
    expect(fake.runs[0].options!.target).toEqual(expected);
    expect(h.err.join("\n")).toContain(
      `preview stack dev (services search-ranking, demand-forecast: ${expected.length} resources)`,
    );
  });

  it("refuses an empty name in a list", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["preview", "--stack", "dev", "--service", "search-ranking,"], h.ctx),
    ).toBe(2);
    expect(h.err.join("\n")).toContain(
      "--service search-ranking,: an empty name (expected name or name,name)",
    );
    expect(fake.opened).toBe(0);
  });

  it("refuses an unknown service, listing the services of the stack", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(
      await runDeployCommand(["preview", "--stack", "dev", "--service", "search"], h.ctx),
    ).toBe(1);
    expect(h.err.slice(1).join("\n")).toBe(
      "error: --service search: no such service in the catalog.\n" +
        'Services of stack "dev": demand-forecast, product-recommender, search-ranking.',
    );
    expect(fake.calls).toEqual([]);
  });

  it("explains a service that the stack's environment does not deploy", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace());
    expect(
      await runDeployCommand(["preview", "--stack", "prod", "--service", "search-ranking"], h.ctx),
    ).toBe(1);
    expect(h.err.slice(1).join("\n")).toBe(
      'error: --service search-ranking: the service is not deployed by stack "prod" (environment prod); its entry lists environments: dev.\n' +
        'Services of stack "prod": demand-forecast, product-recommender.',
    );
  });
});

describe("missing Pulumi CLI", () => {
  it("says how to install it, exit 1, no stack trace", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace({ cliMissing: true }));
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err.join("\n")).toBe(
      [
        "error: the Pulumi CLI cannot be run (no `pulumi` on PATH).",
        "Install it (version 3.248.0, the one CI uses) with the official installer:",
        "  curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0",
        "(then open a new shell, or add ~/.pulumi/bin to PATH), or from a program with",
        "PulumiCommand.install() of @pulumi/pulumi/automation. Check with: pulumi version",
      ].join("\n"),
    );
    expect(h.text()).not.toMatch(STACK_TRACE);
  });

  it("the real workspace detects a missing CLI through the Automation API", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
    const opened = openPulumiWorkspace(empty);
    await expect(opened).rejects.toBeInstanceOf(PulumiCliMissingError);
    await expect(opened).rejects.toThrow(`the Pulumi CLI cannot be run (no ${empty}/bin/pulumi).`);
  });

  it("keeps only the CLI's stderr lines from an Automation API error", () => {
    const message =
      "code: 255\n stdout: Previewing update (dev)\n stderr: error: failed to decrypt\n  passphrase incorrect\n err?: Error: Command failed";
    expect(cliErrorLines(message)).toEqual(["error: failed to decrypt", "passphrase incorrect"]);
  });
});

describe("missing credentials", () => {
  it("names every missing credential with its env var or config key and selects no stack", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, { PULUMI_BACKEND_URL: TEAM_BACKEND });
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    const lines = h.err.slice(1).join("\n").split("\n");
    expect(lines[0]).toBe('error: credentials for stack "dev" are missing (5); nothing was run:');
    expect(lines[1]).toContain("AWS: no credentials found. Set AWS_PROFILE");
    expect(lines[1]).toContain("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    for (const [i, key] of ["githubToken", "databricksClientSecret", "droneToken"].entries()) {
      expect(lines[2 + i]).toContain(`stacks/Pulumi.dev.yaml: mlplatform:${key} is not set`);
      expect(lines[2 + i]).toContain(`pulumi config set --secret mlplatform:${key} --stack dev`);
    }
    expect(lines[5]).toContain("PULUMI_CONFIG_PASSPHRASE_FILE");
    expect(lines).toHaveLength(6);
    expect(fake.calls).toEqual([]);
  });

  it("accepts AWS keys, a profile file or --instance-credentials, and rejects half a key pair", async () => {
    const project = makeProject();
    const pass = {
      PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple",
      PULUMI_BACKEND_URL: TEAM_BACKEND,
    };
    const cases: [Record<string, string>, string[], string[], number][] = [
      [{ ...pass, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "s" }, [], [], 0],
      [pass, [], ["--instance-credentials"], 0],
      [pass, ["HOME/.aws/credentials"], [], 0],
      [{ ...pass, AWS_ACCESS_KEY_ID: "AKIAEXAMPLE" }, [], [], 1],
      [pass, [], [], 1],
    ];
    for (const [env, files, flags, code] of cases) {
      const existing = files.map((f) => f.replace("HOME", path.join(project.dir, "home")));
      const h = harness(project, new FakeWorkspace(), env, existing);
      expect(await runDeployCommand(["preview", "--stack", "dev", ...flags], h.ctx)).toBe(code);
      expect(h.text()).not.toContain("correct horse battery staple");
    }
    const half = harness(project, new FakeWorkspace(), {
      ...pass,
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    });
    await runDeployCommand(["preview", "--stack", "dev"], half.ctx);
    expect(half.err.join("\n")).toContain(
      "AWS: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together",
    );
  });

  it("asks for a Pulumi Cloud login when the backend is the Pulumi service", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace(), {
      AWS_PROFILE: "ml",
      PULUMI_BACKEND_URL: "https://api.pulumi.com",
    });
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err.join("\n")).toContain(
      "Pulumi Cloud (https://api.pulumi.com): not logged in. Set PULUMI_ACCESS_TOKEN or run `pulumi login`.",
    );
  });
});

describe("stack and catalog problems", () => {
  it("a stack without a stack file: says how to create it", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["up", "--stack", "staging"], h.ctx)).toBe(1);
    expect(h.err.slice(1).join("\n")).toBe(
      'error: stack "staging" does not exist: there is no ' +
        `${displayPath(path.join(project.stacksDir, "Pulumi.staging.yaml"))} (stacks: dev, prod).\n` +
        'To deploy a new environment, create it with: npm run new-stack -- --name staging --from dev --environment <env> --secrets-provider awskms://alias/<key> (see docs/deploy.md, "A new environment stack")',
    );
    expect(fake.calls).toEqual([]);
  });

  it("an invalid catalog: prints its problems and deploys nothing", async () => {
    const project = makeProject();
    fs.writeFileSync(
      path.join(project.servicesDir, "broken.yaml"),
      "name: broken\nteam: x\nowners: []\ntemplate: tensorflow\nenvironments: [dev]\n",
    );
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    const text = h.err.slice(1).join("\n");
    expect(text).toMatch(
      /^error: the catalog or stack settings are invalid \(\d+ problems?\); nothing was deployed:\n/,
    );
    expect(text).toContain("broken.yaml");
    expect(text).toContain("template");
    expect(text).not.toMatch(STACK_TRACE);
    expect(fake.calls).toEqual([]);
  });

  it("usage errors exit 2", async () => {
    const project = makeProject();
    const cases: [string[], string][] = [
      [
        ["deploy", "--stack", "dev"],
        'error: unknown operation "deploy" (one of preview, up, refresh, destroy)',
      ],
      [["up"], "error: --stack is required (e.g. --stack dev)"],
      [
        ["up", "--stack", "dev", "--expect-no-changes"],
        "error: --expect-no-changes is for preview and refresh, not up",
      ],
      [
        ["preview", "--stack", "dev", "--yes-destroy", "dev"],
        "error: --yes-destroy is for destroy, not preview",
      ],
      [["preview", "--stack", "../etc"], "error: --stack ../etc: not a stack name"],
      [["preview", "--stack", "dev", "--colour"], "error: Unknown option '--colour'"],
      [["up", "--stack", "dev", "--stack", "prod"], "error: --stack given twice"],
      [["refresh", "--stack"], "error: Option '--stack <value>' argument missing"],
      [["up", "--stack", "dev", "--refresh"], "error: --refresh is for preview, not up"],
      [
        ["preview", "--stack", "dev", "--markdown", "out/drift.md"],
        "error: --markdown writes the drift report: use it with --expect-no-changes",
      ],
    ];
    for (const [argv, message] of cases) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(2);
      expect(h.err[0].split("\n")[0]).toBe(message);
      // The usage of the operation typed; of all four when the operation is unknown.
      const operations = OPERATIONS.includes(argv[0] as Operation)
        ? [argv[0] as Operation]
        : OPERATIONS;
      expect(h.err[0].split("\n").slice(1)).toEqual(
        operations.map((o) => usageLine(DEPLOY_COMMANDS[o])),
      );
      expect(fake.opened).toBe(0);
    }
  });
});

describe("state backend: the one the Pulumi CLI would use, printed by every command", () => {
  const credentialsFile = (project: { dir: string }, current: string, token?: string) => {
    const dir = path.join(project.dir, "home", ".pulumi");
    fs.mkdirSync(dir, { recursive: true });
    const accounts = token ? { [current]: { accessToken: token } } : {};
    fs.writeFileSync(path.join(dir, "credentials.json"), JSON.stringify({ current, accounts }));
  };
  const env = { AWS_PROFILE: "ml-dev", PULUMI_CONFIG_PASSPHRASE_FILE: "/run/passphrase" };

  it("PULUMI_BACKEND_URL is passed unchanged to the CLI and printed first; no local folder", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["up", "--stack", "prod"], h.ctx)).toBe(0);
    expect(fake.calls[0]).toEqual({
      method: "selectStack",
      location: {
        stackName: "prod",
        workDir: project.dir,
        envVars: { PULUMI_BACKEND_URL: TEAM_BACKEND },
      },
    });
    expect(h.err[0]).toBe(`state backend: ${TEAM_BACKEND} (from PULUMI_BACKEND_URL)`);
    expect(fs.existsSync(path.join(project.dir, ".pulumi-state"))).toBe(false);
  });

  it("then backend.url of Pulumi.yaml, then the backend of `pulumi login`, in the CLI's order", async () => {
    const project = makeProject();
    credentialsFile(project, "s3://logged-in-bucket");
    const login = new FakeWorkspace();
    const h1 = harness(project, login, env);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h1.ctx)).toBe(0);
    expect(h1.err[0]).toBe("state backend: s3://logged-in-bucket (from pulumi login)");
    expect(login.calls[0].location?.envVars).toEqual({
      PULUMI_BACKEND_URL: "s3://logged-in-bucket",
    });

    fs.appendFileSync(
      path.join(project.dir, "Pulumi.yaml"),
      "backend:\n  url: s3://project-bucket?region=eu-west-1\n",
    );
    const fromProject = new FakeWorkspace();
    const h2 = harness(project, fromProject, env);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h2.ctx)).toBe(0);
    expect(h2.err[0]).toBe(
      "state backend: s3://project-bucket?region=eu-west-1 (from Pulumi.yaml backend.url)",
    );

    const fromEnv = new FakeWorkspace();
    const h3 = harness(project, fromEnv, { ...env, PULUMI_BACKEND_URL: TEAM_BACKEND });
    expect(await runDeployCommand(["preview", "--stack", "dev"], h3.ctx)).toBe(0);
    expect(fromEnv.calls[0].location?.envVars).toEqual({ PULUMI_BACKEND_URL: TEAM_BACKEND });
  });

  it("honours PULUMI_HOME for the login file", async () => {
    const project = makeProject();
    const home = path.join(project.dir, "pulumi-home");
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, "credentials.json"), JSON.stringify({ current: "s3://b" }));
    const h = harness(project, new FakeWorkspace(), { ...env, PULUMI_HOME: home });
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);
    expect(h.err[0]).toBe("state backend: s3://b (from pulumi login)");
  });

  it("without any backend: stops, says how to choose one, and never falls back to a local folder", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake, env);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(1);
    const text = h.err.join("\n");
    expect(text).toContain("error: no state backend is configured, so nothing was run");
    expect(text).toContain("pulumi login 's3://<state-bucket>?region=<region>'");
    expect(text).toContain("export PULUMI_BACKEND_URL=");
    expect(text).toContain("backend.url");
    expect(text).toContain(`add --local (state in ${path.join(project.dir, ".pulumi-state")})`);
    expect(fake.calls).toEqual([]);
    expect(fs.existsSync(path.join(project.dir, ".pulumi-state"))).toBe(false);
  });

  it("--local: the repository's file backend, only when asked; refused next to another PULUMI_BACKEND_URL", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake, env);
    expect(await runDeployCommand(["preview", "--stack", "dev", "--local"], h.ctx)).toBe(0);
    const url = `file://${project.dir}/.pulumi-state`;
    expect(h.err[0]).toBe(`state backend: ${url} (from --local)`);
    expect(fake.calls[0].location?.envVars).toEqual({ PULUMI_BACKEND_URL: url });
    expect(fs.statSync(path.join(project.dir, ".pulumi-state")).isDirectory()).toBe(true);

    const both = harness(project, new FakeWorkspace(), LAPTOP_ENV);
    expect(await runDeployCommand(["preview", "--stack", "dev", "--local"], both.ctx)).toBe(2);
    expect(both.err[0]).toContain(
      `error: --local asks for the repository's file backend, but PULUMI_BACKEND_URL is set to ${TEAM_BACKEND}`,
    );
  });

  it("every operation prints the backend before anything else about the stack", async () => {
    const project = makeProject();
    for (const argv of [
      ["preview", "--stack", "dev"],
      ["up", "--stack", "dev"],
      ["refresh", "--stack", "dev"],
      ["destroy", "--stack", "dev", "--yes-destroy", "dev"],
    ]) {
      const h = harness(project, new FakeWorkspace());
      expect(await runDeployCommand(argv, h.ctx)).toBe(0);
      expect([argv[0], h.err[0]]).toEqual([
        argv[0],
        `state backend: ${TEAM_BACKEND} (from PULUMI_BACKEND_URL)`,
      ]);
    }
  });

  it("never shows the user:password part of a backend URL", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace(), {
      ...LAPTOP_ENV,
      PULUMI_BACKEND_URL: "https://ci:pul-0123456789abcdef@pulumi.internal.example",
      PULUMI_ACCESS_TOKEN: "pul-0123456789abcdef",
    });
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);
    expect(h.text()).toContain("state in https://pulumi.internal.example");
    expect(h.text()).not.toContain("pul-0123456789abcdef");
  });

  it("a Pulumi Cloud backend from `pulumi login` counts as logged in", async () => {
    const project = makeProject();
    credentialsFile(project, "https://api.pulumi.com", "pul-token");
    const h = harness(project, new FakeWorkspace(), env);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);
    expect(h.err[0]).toBe("state backend: https://api.pulumi.com (from pulumi login)");
  });
});

describe("stacks are selected, never created (only npm run new-stack creates)", () => {
  const OPERATIONS = [
    ["preview", "--stack", "dev"],
    ["up", "--stack", "dev"],
    ["refresh", "--stack", "dev"],
    ["destroy", "--stack", "dev", "--yes-destroy", "dev"],
  ];

  it("preview, up, refresh and destroy select the stack, then run", async () => {
    const project = makeProject();
    for (const argv of OPERATIONS) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(0);
      expect([argv[0], fake.calls.map((c) => c.method)]).toEqual([argv[0], ["selectStack", "run"]]);
    }
  });

  it("a stack the backend does not have: nothing runs, and the message names the command that creates it", async () => {
    const project = makeProject();
    for (const argv of OPERATIONS) {
      const fake = new FakeWorkspace({ stackMissing: true });
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(1);
      expect(fake.runs).toEqual([]);
      expect(fake.calls.map((c) => c.method)).toEqual(["selectStack"]);
      expect(h.err.slice(1).join("\n")).toBe(
        `error: stack "dev" has no state in the backend ${TEAM_BACKEND} (from PULUMI_BACKEND_URL), so there is nothing to ${argv[0]}; the deploy commands never create a stack.\n` +
          "If this is the stack's first deployment, create it in this backend first: npm run new-stack -- --name dev --existing --secrets-provider 'passphrase'\n" +
          'If it was deployed before, it lives in another backend: check PULUMI_BACKEND_URL (docs/deploy.md, "2. State backend").',
      );
    }
  });

  it("no code path of the deploy commands can create a stack", () => {
    const seam = fs.readFileSync(path.join(__dirname, "../../deploy/workspace.ts"), "utf8");
    expect(seam).not.toMatch(/createOrSelect|upsert/i);
    for (const file of ["command.ts", "automation.ts"]) {
      const text = fs.readFileSync(path.join(__dirname, "../../deploy", file), "utf8");
      expect([file, /createOrSelectStack|upsertStack|upsert:/.test(text)]).toEqual([file, false]);
    }
    const command = fs.readFileSync(path.join(__dirname, "../../deploy/command.ts"), "utf8");
    expect(command).not.toContain("createStack");
  });
});

describe("the policy pack runs on every real preview and up", () => {
  it("passes policy/ as the policy pack to preview and up, not to refresh and destroy", async () => {
    const project = makeProject();
    const pack = path.join(project.dir, "policy");
    const expected: Record<string, string[] | undefined> = {
      preview: [pack],
      up: [pack],
      refresh: undefined,
      destroy: undefined,
    };
    for (const argv of [
      ["preview", "--stack", "dev"],
      ["up", "--stack", "dev"],
      ["refresh", "--stack", "dev"],
      ["destroy", "--stack", "dev", "--yes-destroy", "dev"],
    ]) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(0);
      expect([argv[0], fake.runs[0].options!.policyPacks]).toEqual([argv[0], expected[argv[0]]]);
    }
  });

  it("without the pack's dependencies: says to run npm ci --prefix policy, selects nothing", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake, LAPTOP_ENV, [], { policyInstalled: false });
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err.join("\n")).toBe(
      `error: the policy pack in ${path.join(project.dir, "policy")} has no dependencies installed, and every preview and up runs it.\n` +
        "Install them with: npm ci --prefix policy",
    );
    expect(fake.calls).toEqual([]);
  });

  it("the Automation API receives policyPacks (and refresh) under the SDK's option names", async () => {
    const seen: Record<string, unknown>[] = [];
    const stack = {
      preview: async (o: Record<string, unknown>) => {
        seen.push({ op: "preview", ...o });
        return { changeSummary: {} };
      },
      up: async (o: Record<string, unknown>) => {
        seen.push({ op: "up", ...o });
        return { summary: { resourceChanges: {} } };
      },
      refresh: async (o: Record<string, unknown>) => {
        seen.push({ op: "refresh", ...o });
        return { summary: { resourceChanges: {} } };
      },
      destroy: async (o: Record<string, unknown>) => {
        seen.push({ op: "destroy", ...o });
        return { summary: { resourceChanges: {} } };
      },
    };
    const onEvent = () => undefined;
    const asStack = stack as unknown as Parameters<typeof runOperation>[0];
    await runOperation(asStack, "preview", {
      onEvent,
      refresh: true,
      expectNoChanges: true,
      policyPacks: ["/repo/policy"],
    });
    await runOperation(asStack, "up", { onEvent, policyPacks: ["/repo/policy"] });
    expect(seen[0]).toMatchObject({
      op: "preview",
      refresh: true,
      expectNoChanges: true,
      policyPacks: ["/repo/policy"],
    });
    expect(seen[1]).toMatchObject({ op: "up", policyPacks: ["/repo/policy"] });
    // The option names exist in the installed SDK's types (@pulumi/pulumi automation/stack.d.ts).
    const types = fs.readFileSync(require.resolve("@pulumi/pulumi/automation/stack.d.ts"), "utf8");
    for (const iface of ["PreviewOptions", "UpOptions"]) {
      const body = types.slice(types.indexOf(`export interface ${iface}`));
      const end = body.indexOf("\n}");
      expect(body.slice(0, end)).toContain("policyPacks?: string[];");
      expect(body.slice(0, end)).toContain("refresh?: boolean;");
    }
  });
});

describe("drift check: refresh first, fail on any change, report what drifted and how", () => {
  const DRIFT = [
    "preview",
    "--stack",
    "prod",
    "--refresh",
    "--expect-no-changes",
    "--markdown",
    "out/drift-prod.md",
  ];

  it("previews with refresh and writes a clean report when nothing drifted", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({ changes: { same: 124 } });
    const h = harness(project, fake);
    expect(await runDeployCommand(DRIFT, h.ctx)).toBe(0);
    expect(fake.runs[0].options).toMatchObject({ refresh: true, expectNoChanges: true });
    expect(h.err[1]).toContain("preview stack prod with refresh, state in");
    expect(h.written.get(path.resolve("out/drift-prod.md"))).toBe(
      "### Drift check of stack `prod`\n\n" +
        "No drift: 124 resources match the code (preview; the cloud was read first (`--refresh`), then compared with the code).\n",
    );
  });

  it("lists each drifted resource with the properties that differ, in the log and the Markdown report; exit 1", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({
      events: [
        outputsEvent("refresh", "aws:s3/bucket:Bucket", "churn-store-artifacts", ["tags"]),
        outputsEvent("refresh", "aws:iam/role:Role", "churn-ci", []),
        preEvent("update", "aws:s3/bucket:Bucket", "churn-store-artifacts", {
          "tags.owner": "update",
          "tags.cost-center": "delete",
        }),
        summaryEvent({ update: 1, same: 40 }),
      ],
      fail: new OperationFailedError("preview", [
        "error: no changes were expected but changes were proposed",
      ]),
    });
    const h = harness(project, fake);
    expect(await runDeployCommand(DRIFT, h.ctx)).toBe(1);
    expect(h.out).toEqual([
      "~  refresh            aws:s3/bucket:Bucket  churn-store-artifacts  [tags]",
      "~  update             aws:s3/bucket:Bucket  churn-store-artifacts  [tags.cost-center: delete, tags.owner: update]",
    ]);
    expect(h.err.slice(2).join("\n")).toContain(
      'error: drift: stack "prod" does not match the code (2 resource changes listed above).',
    );
    const report = h.written.get(path.resolve("out/drift-prod.md"))!;
    expect(report).toContain("**2 resources drifted** (preview; the cloud was read first");
    expect(report).toContain("| change | type | name | properties |");
    expect(report).toContain(
      "| update | `aws:s3/bucket:Bucket` | `churn-store-artifacts` | tags.cost-center: delete, tags.owner: update |",
    );
    expect(report).toContain(
      "| refresh | `aws:s3/bucket:Bucket` | `churn-store-artifacts` | tags |",
    );
    expect(report).toContain("run `npm run refresh -- --stack prod` first");
  });

  it("a refresh that found the cloud changed is drift even when the CLI reported success", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({
      events: [
        outputsEvent("refresh", "aws:ecr/repository:Repository", "churn-images", [
          "imageScanningConfiguration",
        ]),
      ],
      changes: { same: 10 },
    });
    const h = harness(project, fake);
    expect(await runDeployCommand(DRIFT, h.ctx)).toBe(1);
    expect(h.err.join("\n")).toContain(
      'drift: stack "prod" does not match the code (1 resource change listed above)',
    );
    expect(h.written.get(path.resolve("out/drift-prod.md"))).toContain("**1 resource drifted**");
  });

  it("counts reads and unchanged refresh steps as no change", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({
      events: [
        preEvent("refresh", "aws:s3/bucket:Bucket", "a"),
        preEvent("read", "aws:iam/role:Role", "b"),
        outputsEvent("refresh", "aws:s3/bucket:Bucket", "a", []),
      ],
      changes: { same: 2, read: 1, refresh: 2 },
    });
    const h = harness(project, fake);
    expect(await runDeployCommand(DRIFT, h.ctx)).toBe(0);
    expect(h.out).toEqual(["preview prod: no changes; 2 unchanged"]);
  });
});

describe("order of the checks: the CLI, then the stack, then the credentials", () => {
  it("with everything missing, the CLI comes first, naming how to install it", async () => {
    const project = makeProject({ secrets: false });
    const h = harness(project, new FakeWorkspace({ cliMissing: true }), {});
    expect(await runDeployCommand(["up", "--stack", "staging"], h.ctx)).toBe(1);
    expect(h.err.join("\n")).toMatch(/^error: the Pulumi CLI cannot be run/);
    expect(h.text()).toContain("curl -fsSL https://get.pulumi.com | sh -s -- --version 3.248.0");
    expect(h.text()).not.toContain("staging");
    expect(h.text()).not.toContain("credentials");
  });

  it("with the CLI present, the stack comes before the credentials, naming new-stack", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, { PULUMI_BACKEND_URL: TEAM_BACKEND });
    expect(await runDeployCommand(["up", "--stack", "staging"], h.ctx)).toBe(1);
    expect(h.err[1]).toMatch(/^error: stack "staging" does not exist/);
    expect(h.text()).toContain("npm run new-stack -- --name staging");
    expect(h.text()).not.toContain("credentials for stack");
    expect(fake.calls).toEqual([]);
  });

  it("with the stack present, the missing credentials, each with how to supply it", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, { PULUMI_BACKEND_URL: TEAM_BACKEND });
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err[1]).toMatch(/^error: credentials for stack "dev" are missing/);
    expect(h.text()).toContain("pulumi config set --secret mlplatform:githubToken --stack dev");
    expect(fake.calls).toEqual([]);
  });
});

describe("stack files the deploy commands refuse", () => {
  function withConfig(project: { stacksDir: string }, edit: (text: string) => string): void {
    const file = path.join(project.stacksDir, "Pulumi.dev.yaml");
    fs.writeFileSync(file, edit(fs.readFileSync(file, "utf8")));
  }

  it('a stack file without pulumi:disable-default-providers ["*"]', async () => {
    const project = makeProject();
    withConfig(project, (t) => t.replace(/  pulumi:disable-default-providers:\n    - "\*"\n/, ""));
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.text()).toContain('config pulumi:disable-default-providers must be ["*"]');
    expect(h.text()).toContain('  pulumi:disable-default-providers:\n    - "*"');
    expect(fake.calls).toEqual([]);
  });

  it("provider settings the program would ignore, naming the project setting to use", async () => {
    const project = makeProject();
    const settings =
      "  aws:region: us-east-1\n  aws:profile: ml-admin\n  github:owner: other-org\n";
    withConfig(project, (t) => t.replace("config:\n", `config:\n${settings}`));
    const fake = new FakeWorkspace();
    const h = harness(project, fake);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(1);
    const text = h.text();
    expect(text).toContain("cannot be deployed (3 problems)");
    expect(text).toContain("aws:region is not used");
    expect(text).toContain("Use mlplatform:awsRegion instead.");
    expect(text).toContain("Use the AWS_PROFILE environment variable");
    expect(text).toContain("Use mlplatform:githubOrganization instead.");
    expect(fake.calls).toEqual([]);
  });
});
