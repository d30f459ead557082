import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDeployCommand } from "../../lib/deploy/command";
import { cliErrorLines, openPulumiWorkspace } from "../../lib/deploy/automation";
import { OperationFailedError, PulumiCliMissingError } from "../../lib/deploy/errors";
import { runPlan } from "../../lib/plan/run";
import { displayPath } from "../../lib/stacks";
import {
  addPrefixSibling,
  FakeWorkspace,
  harness,
  LAPTOP_ENV,
  makeProject,
  preEvent,
  summaryEvent,
} from "./fixtures";

const STACK_TRACE = /^\s+at .+\(.*:\d+:\d+\)$/m;

describe("backend selection", () => {
  it("uses a file backend inside the repository when PULUMI_BACKEND_URL is unset, creating its folder", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({ changes: { same: 3 } });
    const h = harness(project, fake);
    expect(fs.existsSync(path.join(project.dir, ".pulumi-state"))).toBe(false);

    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);

    expect(fs.statSync(path.join(project.dir, ".pulumi-state")).isDirectory()).toBe(true);
    expect(fake.calls[0]).toEqual({
      method: "createOrSelectStack",
      location: {
        stackName: "dev",
        workDir: project.dir,
        envVars: { PULUMI_BACKEND_URL: `file://${project.dir}/.pulumi-state` },
      },
    });
  });

  it("passes a user's PULUMI_BACKEND_URL unchanged and creates no local folder", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace();
    const h = harness(project, fake, {
      ...LAPTOP_ENV,
      PULUMI_BACKEND_URL: "s3://acme-ml-pulumi-state?region=eu-west-1",
    });
    expect(await runDeployCommand(["up", "--stack", "prod"], h.ctx)).toBe(0);
    expect(fake.calls[0].location?.envVars).toEqual({
      PULUMI_BACKEND_URL: "s3://acme-ml-pulumi-state?region=eu-west-1",
    });
    expect(fake.calls[0].location?.stackName).toBe("prod");
    expect(fs.existsSync(path.join(project.dir, ".pulumi-state"))).toBe(false);
    expect(h.err.join("\n")).toContain("state in s3://acme-ml-pulumi-state?region=eu-west-1");
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
});

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
        options: { target: undefined, expectNoChanges: false, diff: false },
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
      changes: { create: 1, same: 9 },
      changed: 1,
      resources: [
        {
          op: "create",
          type: "aws:s3/bucket:Bucket",
          name: "churn-store-artifacts",
          urn: "urn:pulumi:dev::mlplatform::aws:s3/bucket:Bucket::churn-store-artifacts",
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
    expect(fake.runs[0].options).toEqual({ target: undefined, expectNoChanges: true, diff: true });
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
    expect(h.err[0]).toBe(`preview stack dev, state in file://${project.dir}/.pulumi-state`);
    expect(h.err.slice(1).join("\n")).toBe(
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
    expect(h.err.slice(1).join("\n")).toBe(
      'error: pulumi up of stack "dev" failed:\n  error: update failed\n  aws:s3/bucket:Bucket (x): AccessDenied',
    );
    expect(h.text()).not.toMatch(STACK_TRACE);
  });

  it("refresh and destroy select an existing stack instead of creating one", async () => {
    const project = makeProject();
    for (const argv of [
      ["refresh", "--stack", "dev"],
      ["destroy", "--stack", "dev", "--yes-destroy", "dev"],
    ]) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(0);
      expect(fake.calls.map((c) => c.method)).toEqual(["selectStack", "run"]);
      expect(fake.runs[0].operation).toBe(argv[0]);
    }
  });

  it("says how to deploy first when the backend has no state for refresh or destroy", async () => {
    const project = makeProject();
    const fake = new FakeWorkspace({ stackMissing: true });
    const h = harness(project, fake);
    expect(await runDeployCommand(["refresh", "--stack", "dev"], h.ctx)).toBe(1);
    expect(h.err.join("\n")).toBe(
      `error: stack "dev" has no state in the backend file://${project.dir}/.pulumi-state: nothing was deployed there, so there is nothing to refresh.\n` +
        "Deploy it first with: npm run up -- --stack dev (or set PULUMI_BACKEND_URL to the backend that holds it, e.g. s3://<bucket> or https://api.pulumi.com)",
    );
    expect(fake.runs).toEqual([]);
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
    expect(h.err.join("\n")).toBe(
      "error: --service search: no such service in the catalog.\n" +
        'Services of stack "dev": demand-forecast, product-recommender, search-ranking.',
    );
    expect(fake.opened).toBe(0);
  });

  it("explains a service that the stack's environment does not deploy", async () => {
    const project = makeProject();
    const h = harness(project, new FakeWorkspace());
    expect(
      await runDeployCommand(["preview", "--stack", "prod", "--service", "search-ranking"], h.ctx),
    ).toBe(1);
    expect(h.err.join("\n")).toBe(
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
        "Install it with the official installer:",
        "  curl -fsSL https://get.pulumi.com | sh",
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
  it("names every missing credential with its env var or config key and opens no workspace", async () => {
    const project = makeProject({ secrets: false });
    const fake = new FakeWorkspace();
    const h = harness(project, fake, {});
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    const lines = h.err.join("\n").split("\n");
    expect(lines[0]).toBe('error: credentials for stack "dev" are missing (5); nothing was run:');
    expect(lines[1]).toContain("AWS: no credentials found. Set AWS_PROFILE");
    expect(lines[1]).toContain("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    for (const [i, key] of ["githubToken", "databricksClientSecret", "droneToken"].entries()) {
      expect(lines[2 + i]).toContain(`stacks/Pulumi.dev.yaml: mlplatform:${key} is not set`);
      expect(lines[2 + i]).toContain(`pulumi config set --secret mlplatform:${key} --stack dev`);
    }
    expect(lines[5]).toContain("PULUMI_CONFIG_PASSPHRASE_FILE");
    expect(lines).toHaveLength(6);
    expect(fake.opened).toBe(0);
  });

  it("accepts AWS keys, a profile file or --instance-credentials, and rejects half a key pair", async () => {
    const project = makeProject();
    const pass = { PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple" };
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
    expect(h.err.join("\n")).toBe(
      'error: stack "staging" does not exist: there is no ' +
        `${displayPath(path.join(project.stacksDir, "Pulumi.staging.yaml"))} (stacks: dev, prod).\n` +
        'To deploy a new environment, create it with: npm run new-stack -- --name staging --from dev --environment <env> --secrets-provider passphrase (see docs/deploy.md, "A new environment stack")',
    );
    expect(fake.opened).toBe(0);
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
    const text = h.err.join("\n");
    expect(text).toMatch(
      /^error: the catalog or stack settings are invalid \(\d+ problems?\); nothing was deployed:\n/,
    );
    expect(text).toContain("broken.yaml");
    expect(text).toContain("template");
    expect(text).not.toMatch(STACK_TRACE);
    expect(fake.opened).toBe(0);
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
      [["preview", "--stack", "dev", "--colour"], "error: unknown option --colour"],
    ];
    for (const [argv, message] of cases) {
      const fake = new FakeWorkspace();
      const h = harness(project, fake);
      expect(await runDeployCommand(argv, h.ctx)).toBe(2);
      expect(h.err[0].split("\n")[0]).toBe(message);
      expect(h.err[0]).toContain("usage: npm run preview -- --stack <stack>");
      expect(fake.opened).toBe(0);
    }
  });
});
