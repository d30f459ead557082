/**
 * The repository's own CI files: parsed, linted with the real yamllint, scripts cross-checked, and
 * held to the rules of the deploy path (docs/deploy.md): documented action inputs only, one pinned
 * Pulumi CLI, the policy pack on every preview and up, refreshed drift checks, OIDC or instance
 * roles instead of static keys, no secrets on pull requests, no production deploy from Drone, and
 * stacks read from stacks/ at run time.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PULUMI_CLI_VERSION } from "../../deploy/errors";

const REPO = path.join(__dirname, "..", "..");
const CI_FILES = [
  ".drone.yml",
  ".github/workflows/infrastructure.yml",
  ".github/workflows/drift.yml",
];

type Node = Record<string, unknown>;

function documents(file: string): Node[] {
  return YAML.parseAllDocuments(fs.readFileSync(path.join(REPO, file), "utf8")).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Node;
  });
}

/** Every string anywhere in a parsed document (commands, run blocks...). */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/** The npm scripts a text runs: `npm run <name>` and `npm test`. */
export function npmScriptsUsed(text: string): string[] {
  const names = [...text.matchAll(/\bnpm run ([A-Za-z0-9:_.-]+)/g)].map((m) => m[1]);
  if (/\bnpm (test|t)\b/.test(text)) names.push("test");
  return [...new Set(names)].sort();
}

function missingScripts(files: string[], packageJson: string): string[] {
  const scripts = Object.keys(
    (JSON.parse(fs.readFileSync(packageJson, "utf8")) as { scripts?: Node }).scripts ?? {},
  );
  const used = files.flatMap((f) =>
    documents(f).flatMap((d) => strings(d).flatMap(npmScriptsUsed)),
  );
  return [...new Set(used)].filter((s) => !scripts.includes(s)).sort();
}

function yamllint(files: string[], cwd = REPO): { status: number | null; output: string } {
  const r = spawnSync(
    "yamllint",
    ["-f", "parsable", "-c", path.join(REPO, ".yamllint.yaml"), ...files],
    {
      cwd,
      encoding: "utf8",
    },
  );
  if (r.error)
    throw new Error(`yamllint cannot run (${r.error.message}): apt-get install yamllint`);
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("npm scripts the CI files run", () => {
  it("finds script names, including npm test", () => {
    expect(npmScriptsUsed("npm ci && npm run lint\nnpm test\nnpm run plan -- --stack dev")).toEqual(
      ["lint", "plan", "test"],
    );
    expect(npmScriptsUsed("npm ci --no-audit")).toEqual([]);
  });

  it("every script the CI files run exists in package.json", () => {
    expect(missingScripts(CI_FILES, path.join(REPO, "package.json"))).toEqual([]);
  });

  it("a package.json without some of them is caught", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
    pkg.scripts = { ...pkg.scripts, preview: "x", up: "x" };
    delete pkg.scripts.validate;
    delete pkg.scripts.typecheck;
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ci-files-")), "package.json");
    fs.writeFileSync(broken, JSON.stringify(pkg));
    expect(missingScripts(CI_FILES, broken)).toEqual(["typecheck", "validate"]);
  });
});

describe("yamllint", () => {
  it("passes the CI files with the repository's configuration", () => {
    const r = yamllint([...CI_FILES, ".yamllint.yaml"]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("fails a broken copy (duplicate key, long line)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-files-"));
    const text = fs.readFileSync(path.join(REPO, ".drone.yml"), "utf8");
    const broken = text.replace(
      "kind: pipeline\n",
      `kind: pipeline\nkind: secret\n# ${"word ".repeat(26)}\n`,
    );
    fs.writeFileSync(path.join(dir, ".drone.yml"), broken);
    const r = yamllint([".drone.yml"], dir);
    expect(r.status).toBe(1);
    expect(r.output).toContain('duplication of key "kind" in mapping (key-duplicates)');
    expect(r.output).toContain("line too long (132 > 120 characters) (line-length)");
  });
});

/** The Pulumi CLI version of this repository: the @pulumi/pulumi SDK's (deploy/errors.ts). */
const PULUMI_VERSION = PULUMI_CLI_VERSION;

type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
};
type Job = {
  permissions?: Node;
  environment?: unknown;
  needs?: unknown;
  if?: string;
  env?: Record<string, unknown>;
  outputs?: Record<string, string>;
  strategy?: { matrix?: Node; "fail-fast"?: boolean };
  steps: Step[];
};

/**
 * The inputs of each action at the pinned version: the `inputs:` keys of that version's action.yml,
 * copied here. The runner only warns about an unknown `with:` key ("Unexpected input"), so a typo or
 * an input of another version would silently do nothing; every `with:` key must be one of these.
 */
const ACTION_INPUTS: Record<string, { source: string; inputs: string[] }> = {
  // https://github.com/pulumi/actions/blob/v6.6.1/action.yml
  "pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58": {
    source: "pulumi/actions v6.6.1 action.yml",
    inputs: [
      "command",
      "stack-name",
      "pulumi-version",
      "pulumi-version-file",
      "work-dir",
      "comment-on-pr",
      "comment-on-pr-number",
      "comment-on-summary",
      "github-token",
      "cloud-url",
      "secrets-provider",
      "parallel",
      "message",
      "config-map",
      "expect-no-changes",
      "diff",
      "replace",
      "exclude",
      "exclude-dependents",
      "target",
      "target-dependents",
      "policyPacks",
      "policyPackConfigs",
      "refresh",
      "upsert",
      "remove",
      "edit-pr-comment",
      "color",
      "exclude-protected",
      "plan",
      "suppress-outputs",
      "suppress-progress",
      "always-include-summary",
      "continue-on-error",
      "log-verbosity",
      "log-flow",
      "debug",
    ],
  },
  // https://github.com/aws-actions/configure-aws-credentials/blob/v5.1.1/action.yml
  "aws-actions/configure-aws-credentials@61815dcd50bd041e203e49132bacad1fd04d2708": {
    source: "aws-actions/configure-aws-credentials v5.1.1 action.yml",
    inputs: [
      "aws-region",
      "role-to-assume",
      "aws-access-key-id",
      "aws-secret-access-key",
      "aws-session-token",
      "web-identity-token-file",
      "role-chaining",
      "audience",
      "http-proxy",
      "no-proxy",
      "mask-aws-account-id",
      "role-duration-seconds",
      "role-external-id",
      "role-session-name",
      "role-skip-session-tagging",
      "inline-session-policy",
      "managed-session-policies",
      "output-credentials",
      "output-env-credentials",
      "unset-current-credentials",
      "disable-retry",
      "retry-max-attempts",
      "special-characters-workaround",
      "use-existing-credentials",
      "allowed-account-ids",
      "force-skip-oidc",
      "action-timeout-s",
    ],
  },
  // https://github.com/actions/checkout/blob/v4.2.2/action.yml
  "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683": {
    source: "actions/checkout v4.2.2 action.yml",
    inputs: [
      "repository",
      "ref",
      "token",
      "ssh-key",
      "ssh-known-hosts",
      "ssh-strict",
      "ssh-user",
      "persist-credentials",
      "path",
      "clean",
      "filter",
      "sparse-checkout",
      "sparse-checkout-cone-mode",
      "fetch-depth",
      "fetch-tags",
      "show-progress",
      "lfs",
      "submodules",
      "set-safe-directory",
      "github-server-url",
    ],
  },
  // https://github.com/actions/setup-node/blob/v4.4.0/action.yml
  "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020": {
    source: "actions/setup-node v4.4.0 action.yml",
    inputs: [
      "always-auth",
      "node-version",
      "node-version-file",
      "architecture",
      "check-latest",
      "registry-url",
      "scope",
      "token",
      "cache",
      "cache-dependency-path",
      "mirror",
      "mirror-token",
    ],
  },
  // https://github.com/actions/upload-artifact/blob/v4.6.2/action.yml
  "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": {
    source: "actions/upload-artifact v4.6.2 action.yml",
    inputs: [
      "name",
      "path",
      "if-no-files-found",
      "retention-days",
      "compression-level",
      "overwrite",
      "include-hidden-files",
    ],
  },
  // https://github.com/actions/download-artifact/blob/v4.3.0/action.yml
  "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": {
    source: "actions/download-artifact v4.3.0 action.yml",
    inputs: [
      "name",
      "artifact-ids",
      "path",
      "pattern",
      "merge-multiple",
      "github-token",
      "repository",
      "run-id",
    ],
  },
};

/**
 * The commands pulumi/actions v6.6.1 runs (src/config.ts makeConfig: getUnionInput('command',
 * { alternatives: ['up', 'update', 'refresh', 'destroy', 'preview', 'output'] })). Without
 * `command` it only installs the CLI (src/config.ts installationConfig: command undefined,
 * pulumiVersion a string; src/main.ts installOnly). `command: version` is refused.
 */
const PULUMI_ACTION_COMMANDS = ["up", "update", "refresh", "destroy", "preview", "output"];
const PULUMI_ACTION = "pulumi/actions@8582a9e8cc630786854029b4e09281acd6794b58";
const AWS_ACTION = "aws-actions/configure-aws-credentials@61815dcd50bd041e203e49132bacad1fd04d2708";

const WORKFLOWS = [".github/workflows/infrastructure.yml", ".github/workflows/drift.yml"];

function workflowJobs(file: string): [string, Job][] {
  const [doc] = documents(file);
  return Object.entries(doc.jobs as Record<string, Job>);
}

/** Every `uses:` step of the workflows with where it is. */
function actionSteps(): { file: string; job: string; step: Step }[] {
  return WORKFLOWS.flatMap((file) =>
    workflowJobs(file).flatMap(([job, j]) =>
      j.steps.filter((s) => s.uses).map((step) => ({ file, job, step })),
    ),
  );
}

/** Problems with the `with:` keys and pulumi/actions commands of a parsed workflow. */
export function inputProblems(workflow: Node): string[] {
  const problems: string[] = [];
  for (const [job, j] of Object.entries(workflow.jobs as Record<string, Job>)) {
    for (const step of j.steps.filter((s) => s.uses)) {
      const known = ACTION_INPUTS[step.uses!];
      if (!known) {
        problems.push(`${job}: ${step.uses} has no input list in this test (pin a listed version)`);
        continue;
      }
      for (const key of Object.keys(step.with ?? {})) {
        if (!known.inputs.includes(key))
          problems.push(`${job}: ${step.uses}: unknown input ${key}`);
      }
      const command = step.with?.command;
      if (step.uses === PULUMI_ACTION && command !== undefined) {
        if (!PULUMI_ACTION_COMMANDS.includes(String(command))) {
          problems.push(`${job}: ${step.uses}: command ${String(command)} is not one it runs`);
        }
      }
    }
  }
  return problems;
}

/** Every string of a CI file that could carry a static AWS key, by name. */
const STATIC_AWS_KEY =
  /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|aws[-_]access[-_]key|aws[-_]secret[-_]access[-_]key|aws[-_]session[-_]token/i;

export function staticKeyLines(text: string): string[] {
  return text.split("\n").filter((line) => STATIC_AWS_KEY.test(line));
}

describe("GitHub Actions: every action input is one its pinned version documents", () => {
  it("every action is pinned to a commit with a known input list", () => {
    const uses = actionSteps().map((a) => a.step.uses!);
    expect(uses.length).toBeGreaterThan(20);
    for (const action of uses) {
      expect(action).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      expect(Object.keys(ACTION_INPUTS)).toContain(action);
    }
  });

  it("every with: key is an input of the action, and pulumi/actions commands are ones it runs", () => {
    for (const file of WORKFLOWS) {
      expect([file, inputProblems(documents(file)[0])]).toEqual([file, []]);
    }
  });

  it("catches the old `command: version` and a misspelt input", () => {
    const text = fs
      .readFileSync(path.join(REPO, ".github/workflows/drift.yml"), "utf8")
      .replace(
        "          pulumi-version: ${{ env.PULUMI_VERSION }}\n",
        "          command: version\n          pulumi-versoin: ${{ env.PULUMI_VERSION }}\n",
      );
    const broken = YAML.parse(text) as Node;
    expect(inputProblems(broken)).toEqual([
      `drift: ${PULUMI_ACTION}: unknown input pulumi-versoin`,
      `drift: ${PULUMI_ACTION}: command version is not one it runs`,
    ]);
  });

  it("pulumi/actions runs a command it accepts, or only installs the pinned CLI", () => {
    const uses = actionSteps().filter((a) => a.step.uses === PULUMI_ACTION);
    expect(uses.length).toBeGreaterThanOrEqual(5);
    for (const { job, step } of uses) {
      const command = step.with?.command;
      if (command !== undefined)
        expect([job, PULUMI_ACTION_COMMANDS.includes(String(command))]).toEqual([job, true]);
      // Install-only mode needs no command and a version; every use pins the same version.
      expect([job, step.with?.["pulumi-version"]]).toEqual([job, "${{ env.PULUMI_VERSION }}"]);
    }
    expect(PULUMI_ACTION_COMMANDS).not.toContain("version");
  });
});

describe("one Pulumi CLI version in both CI systems: the SDK's", () => {
  it("the workflows' PULUMI_VERSION and every Drone step's are @pulumi/pulumi's version", () => {
    expect(PULUMI_VERSION).toBe(
      (
        JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
          dependencies: Record<string, string>;
        }
      ).dependencies["@pulumi/pulumi"],
    );
    for (const file of WORKFLOWS) {
      const [doc] = documents(file);
      expect([file, (doc.env as Node).PULUMI_VERSION]).toEqual([file, PULUMI_VERSION]);
    }
    const droneVersions = documents(".drone.yml").flatMap((p) =>
      ((p.steps as DroneStep[]) ?? []).flatMap((s) =>
        s.environment?.PULUMI_VERSION === undefined ? [] : [s.environment.PULUMI_VERSION],
      ),
    );
    expect(droneVersions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(droneVersions)).toEqual(new Set([PULUMI_VERSION]));
  });

  it("every job or step that runs the deploy commands installs the pinned CLI first", () => {
    const deployCommand = /npm run (preview|up|refresh|destroy)\b/;
    for (const file of WORKFLOWS) {
      for (const [name, job] of workflowJobs(file)) {
        const first = job.steps.findIndex((s) => deployCommand.test(String(s.run ?? "")));
        if (first < 0) continue;
        const install = job.steps.findIndex((s) => s.uses === PULUMI_ACTION);
        expect([name, install >= 0 && install < first]).toEqual([name, true]);
      }
    }
    for (const p of documents(".drone.yml")) {
      for (const step of (p.steps as DroneStep[]) ?? []) {
        const text = (step.commands ?? []).join("\n");
        if (!deployCommand.test(text)) continue;
        const install = text.indexOf('bash deploy/ci-tools.sh "$PULUMI_VERSION"');
        expect([step.name, install >= 0 && install < text.search(deployCommand)]).toEqual([
          step.name,
          true,
        ]);
      }
    }
    const tools = fs.readFileSync(path.join(REPO, "deploy/ci-tools.sh"), "utf8");
    expect(tools).toContain(
      'curl -fsSL https://get.pulumi.com | sh -s -- --version "$PULUMI_VERSION"',
    );
    expect(tools).toContain("skopeo");
    expect(tools).toContain("awscli-exe-linux-");
  });
});

describe("the policy pack runs on every real preview and up", () => {
  it("pulumi/actions previews pass policyPacks: policy; every job that deploys or previews installs the pack", () => {
    for (const file of WORKFLOWS) {
      for (const [name, job] of workflowJobs(file)) {
        for (const step of job.steps.filter((s) => s.uses === PULUMI_ACTION && s.with?.command)) {
          expect([name, step.with?.policyPacks]).toEqual([name, "policy"]);
        }
        const runsPulumi =
          job.steps.some((s) => /npm run (preview|up)\b/.test(String(s.run ?? ""))) ||
          job.steps.some((s) => s.uses === PULUMI_ACTION && s.with?.command);
        if (!runsPulumi) continue;
        expect([
          name,
          job.steps.some((s) => s.run === "npm ci --prefix policy --no-audit --no-fund"),
        ]).toEqual([name, true]);
      }
    }
    for (const p of documents(".drone.yml")) {
      for (const step of (p.steps as DroneStep[]) ?? []) {
        const text = (step.commands ?? []).join("\n");
        if (!/npm run (preview|up)\b/.test(text)) continue;
        expect([step.name, text.includes("npm ci --prefix policy")]).toEqual([step.name, true]);
      }
    }
  });

  it("no CI file runs the Pulumi CLI's preview or up directly (which would skip the pack)", () => {
    for (const file of CI_FILES) {
      const scripts = documents(file).flatMap((d) => commandTexts(d));
      expect(scripts.length).toBeGreaterThan(5);
      const direct = scripts.filter((t) => /(^|[;&|(\s])pulumi (preview|up|update)\b/m.test(t));
      expect([file, direct]).toEqual([file, []]);
    }
  });
});

describe("no static AWS access keys in any pipeline", () => {
  it("no CI file names an access key, secret key or session token", () => {
    for (const file of CI_FILES) {
      expect([file, staticKeyLines(fs.readFileSync(path.join(REPO, file), "utf8"))]).toEqual([
        file,
        [],
      ]);
    }
  });

  it("the check catches the keys the pipelines used to take", () => {
    expect(
      staticKeyLines(
        [
          "      AWS_ACCESS_KEY_ID:",
          "        from_secret: aws_access_key_id_dev",
          "          aws-secret-access-key: ${{ secrets.AWS_SECRET }}",
          "      role-to-assume: x",
        ].join("\n"),
      ),
    ).toHaveLength(3);
  });

  it("every workflow job that uses AWS assumes a role with OIDC: id-token write, the role from the stack file", () => {
    let jobsWithAws = 0;
    for (const file of WORKFLOWS) {
      for (const [name, job] of workflowJobs(file)) {
        const aws = job.steps.filter((s) => s.uses === AWS_ACTION);
        if (aws.length === 0) continue;
        jobsWithAws++;
        expect([name, job.permissions?.["id-token"]]).toEqual([name, "write"]);
        const stackEnv = job.steps.find((s) => s.id === "stack")!;
        expect(String(stackEnv.run)).toMatch(
          / deploy\/ci\.ts stack-env --stack "\$STACK" --role (deploy|preview)/,
        );
        for (const step of aws) {
          expect(step.with).toMatchObject({
            "role-to-assume": "${{ steps.stack.outputs.role-arn }}",
            "aws-region": "${{ steps.stack.outputs.region }}",
            "allowed-account-ids": "${{ steps.stack.outputs.account-id }}",
          });
        }
      }
    }
    expect(jobsWithAws).toBe(5);
  });

  it("jobs that deploy run as the stack's deploy role (mlplatform:deployRoleArn), in the stack's environment", () => {
    const jobs = Object.fromEntries(workflowJobs(".github/workflows/infrastructure.yml"));
    for (const name of ["deploy", "deploy-production"]) {
      const job = jobs[name];
      expect(job.environment).toBe("${{ matrix.stack }}");
      expect(String(job.steps.find((s) => s.id === "stack")!.run)).toContain("--role deploy");
      const runs = job.steps.map((s) => s.run).filter((r): r is string => typeof r === "string");
      expect(runs.filter((r) => r.startsWith("npm run"))).toEqual([
        'npm run up -- --stack "$STACK"',
        'npm run preview -- --stack "$STACK" --expect-no-changes',
      ]);
      // copy-image.sh runs on `pulumi up`: skopeo and the AWS CLI v2 are checked first.
      const tools = job.steps.find((s) => s.name === "Tools pulumi up runs")!;
      expect(tools.run).toContain("skopeo --version");
      expect(tools.run).toContain("aws --version | grep '^aws-cli/2\\.'");
    }
    // Jobs without an environment never get a deploy role.
    for (const [name, job] of Object.entries(jobs)) {
      const stackEnv = job.steps.find((s) => s.id === "stack");
      if (stackEnv && String(stackEnv.run).includes("--role deploy")) {
        expect([name, job.environment]).toEqual([name, "${{ matrix.stack }}"]);
      }
    }
  });

  it("Drone assumes each stack's deploy role from the runner's instance profile", () => {
    const drone = documents(".drone.yml");
    const withAws = drone
      .flatMap((p) => (p.steps as DroneStep[]) ?? [])
      .filter((s) => /npm run (up|preview)/.test((s.commands ?? []).join("\n")));
    expect(withAws.map((s) => s.name)).toEqual(["deploy-nonproduction", "drift-nonproduction"]);
    for (const step of withAws) {
      const text = step.commands!.join("\n");
      expect(text).toContain(
        'aws configure set "profile.deploy-$stack.credential_source" Ec2InstanceMetadata',
      );
      expect(text).toContain("deploy/ci.ts stack-env --stack");
      expect(text).toContain("ci.ts list --nonproduction");
    }
  });
});

describe(".drone.yml", () => {
  const pipelines = documents(".drone.yml");
  const byName = new Map(pipelines.map((p) => [p.name as string, p]));
  const steps = (name: string): DroneStep[] => (byName.get(name)!.steps as DroneStep[]) ?? [];
  const commands = (name: string): string =>
    steps(name)
      .flatMap((s) => s.commands ?? [])
      .join("\n");

  it("has the four pipelines with their triggers; deploys and drift on the deploy runner pool", () => {
    expect(pipelines.map((p) => p.name)).toEqual([
      "pull-request",
      "deploy",
      "promote-refused",
      "drift",
    ]);
    expect(pipelines.every((p) => p.kind === "pipeline" && p.type === "docker")).toBe(true);
    expect(byName.get("pull-request")!.trigger).toEqual({ event: ["pull_request"] });
    expect(byName.get("deploy")!.trigger).toEqual({ event: ["push"], branch: ["main"] });
    expect(byName.get("promote-refused")!.trigger).toEqual({ event: ["promote"] });
    expect(byName.get("drift")!.trigger).toEqual({ event: ["cron"], cron: ["nightly-drift"] });
    expect(byName.get("deploy")!.node).toEqual({ pool: "deploy" });
    expect(byName.get("drift")!.node).toEqual({ pool: "deploy" });
    expect(byName.get("pull-request")!.node).toBeUndefined();
  });

  it("pull requests get no secret (Drone withholds them) and run only offline checks and the offline plan", () => {
    for (const step of steps("pull-request")) {
      expect([step.name, step.environment ?? {}]).toEqual([step.name, {}]);
    }
    const text = commands("pull-request");
    expect(npmScriptsUsed(text)).toEqual(["lint", "plan", "test", "typecheck", "validate"]);
    expect(text).toContain("git worktree add --detach /tmp/base FETCH_HEAD");
    expect(text).toContain('--diff "out/base-$stack.json"');
    expect(text).toContain('--scope "out/scope-$stack.json"');
    expect(text).toContain("for file in stacks/Pulumi.*.yaml; do");
    expect(text).not.toMatch(/api\.github\.com|npm run (up|preview)/);
  });

  it("production is never deployed: promotions fail, deploys and drift loop over non-production stacks only", () => {
    const refuse = steps("promote-refused");
    expect(refuse.map((s) => s.commands![s.commands!.length - 1])).toEqual(["exit 1"]);
    expect(refuse[0].environment).toBeUndefined();
    for (const name of ["deploy", "drift"]) {
      const text = commands(name);
      expect(text).toContain(
        "for stack in $(node -r ts-node/register/transpile-only deploy/ci.ts list --nonproduction); do",
      );
    }
    const text = fs.readFileSync(path.join(REPO, ".drone.yml"), "utf8");
    expect(text).not.toMatch(/--stack (prod|dev)\b|_prod\b/);
  });

  it("deploys each non-production stack, then checks it with a no-changes preview", () => {
    const text = commands("deploy");
    const up = text.indexOf('npm run up -- --stack "$stack"');
    const check = text.indexOf('npm run preview -- --stack "$stack" --expect-no-changes');
    expect(up).toBeGreaterThan(0);
    expect(check).toBeGreaterThan(up);
  });

  it("the nightly drift check refreshes, fails on any change, and reports the Markdown drift reports", () => {
    const text = commands("drift");
    expect(text).toContain(
      'npm run preview -- --stack "$stack" --refresh --expect-no-changes \\\n    --markdown "out/drift-$stack.md"',
    );
    const report = steps("drift").find((s) => s.name === "report-drift")!;
    expect(report.when).toEqual({ status: ["failure"] });
    expect(report.commands!.join("\n")).toContain('f.startsWith("drift-")');
  });

  it("takes every secret from Drone secrets, never inline; none on a pull request", () => {
    const secretish = /TOKEN|SECRET|PASSPHRASE|ACCESS_KEY|BACKEND_URL/;
    let checked = 0;
    for (const p of pipelines) {
      for (const step of (p.steps as DroneStep[]) ?? []) {
        for (const [key, value] of Object.entries(step.environment ?? {})) {
          if (!secretish.test(key)) continue;
          checked++;
          expect(p.name).not.toBe("pull-request");
          expect([key, value]).toEqual([
            key,
            { from_secret: expect.stringMatching(/^[a-z0-9_]+$/) },
          ]);
        }
      }
    }
    expect(checked).toBe(3);
  });

  it("Drone substitutes ${...}: every one in the commands is escaped as $${...}", () => {
    for (const p of pipelines) {
      for (const step of (p.steps as DroneStep[]) ?? []) {
        const text = (step.commands ?? []).join("\n");
        expect([step.name, text.match(/(?<!\$)\$\{/g) ?? []]).toEqual([step.name, []]);
      }
    }
  });
});

describe("GitHub Actions workflows", () => {
  const [infra] = documents(".github/workflows/infrastructure.yml");
  const [drift] = documents(".github/workflows/drift.yml");
  const jobs = infra.jobs as Record<string, Job>;

  it("read-only by default; write access only where a job needs it", () => {
    expect(infra.permissions).toEqual({ contents: "read" });
    expect(drift.permissions).toEqual({ contents: "read" });
    expect(jobs.checks.permissions).toBeUndefined();
    expect(jobs.preview.permissions).toEqual({
      contents: "read",
      "id-token": "write",
      "pull-requests": "write",
    });
    expect(jobs.deploy.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(jobs["deploy-production"].permissions).toEqual({
      contents: "read",
      "id-token": "write",
    });
    expect(jobs["preview-production"].permissions).toEqual({
      actions: "read",
      contents: "read",
      "id-token": "write",
    });
  });

  it("no stack name is written in a workflow: every matrix comes from stacks/ at run time", () => {
    for (const file of WORKFLOWS) {
      const text = fs.readFileSync(path.join(REPO, file), "utf8");
      expect([file, /--stack (dev|prod)\b|\[dev, prod\]|stack: (dev|prod)\b/.test(text)]).toEqual([
        file,
        false,
      ]);
    }
    for (const name of ["preview", "deploy"]) {
      expect(jobs[name].strategy!.matrix).toEqual({
        stack: "${{ fromJSON(needs.checks.outputs.nonproduction) }}",
      });
    }
    for (const name of ["preview-production", "deploy-production"]) {
      expect(jobs[name].strategy!.matrix).toEqual({
        stack: "${{ fromJSON(needs.checks.outputs.production) }}",
      });
    }
    expect(jobs.checks.outputs).toEqual({
      nonproduction: "${{ steps.matrix.outputs.nonproduction }}",
      production: "${{ steps.matrix.outputs.production }}",
    });
    const driftJob = (drift.jobs as Record<string, Job>).drift;
    expect(driftJob.strategy!.matrix).toEqual({
      stack: "${{ fromJSON(needs.stacks.outputs.stacks) }}",
    });
    // A matrix job never starts with an empty list (GitHub refuses an empty matrix).
    expect(jobs.preview.if).toContain("needs.checks.outputs.nonproduction != '[]'");
    expect(jobs.deploy.if).toContain("needs.checks.outputs.nonproduction != '[]'");
    expect(jobs["preview-production"].if).toContain("needs.checks.outputs.production != '[]'");
    expect(jobs["deploy-production"].if).toContain("needs.checks.outputs.production != '[]'");
  });

  it("the offline plan covers every stack file and writes the scope the matrix step reads", () => {
    const plan = jobs.checks.steps.find((s) => String(s.run ?? "").includes("--changed-since"))!;
    expect(plan.run).toContain("for file in stacks/Pulumi.*.yaml; do");
    expect(plan.run).toContain('--scope "out/scope-$stack.json"');
    const steps = jobs.checks.steps;
    const matrix = steps.findIndex((s) => s.id === "matrix");
    expect(matrix).toBeGreaterThan(steps.indexOf(plan));
    expect(steps[matrix].run).toBe(
      'node -r ts-node/register/transpile-only deploy/ci.ts matrix --scopes out >> "$GITHUB_OUTPUT"',
    );
  });

  it("the matrix step, run on a copy of the repository with one more stack file, picks it up", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-matrix-"));
    for (const entry of [
      "node_modules",
      "lib",
      "catalog",
      "deploy",
      "components",
      "package.json",
      "tsconfig.json",
    ]) {
      fs.symlinkSync(path.join(REPO, entry), path.join(dir, entry));
    }
    fs.cpSync(path.join(REPO, "stacks"), path.join(dir, "stacks"), { recursive: true });
    const staging = fs
      .readFileSync(path.join(REPO, "stacks", "Pulumi.dev.yaml"), "utf8")
      .replace("mlplatform:environment: dev", "mlplatform:environment: stg");
    fs.writeFileSync(path.join(dir, "stacks", "Pulumi.staging.yaml"), staging);
    const run = (script: string, scopes: Record<string, string> = {}) => {
      fs.rmSync(path.join(dir, "out"), { recursive: true, force: true });
      fs.mkdirSync(path.join(dir, "out"));
      for (const [stack, preview] of Object.entries(scopes)) {
        fs.writeFileSync(
          path.join(dir, "out", `scope-${stack}.json`),
          JSON.stringify({ stack, preview }),
        );
      }
      const output = path.join(dir, "github-output");
      fs.writeFileSync(output, "");
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, GITHUB_OUTPUT: output },
        // stdin not a socket (node's "pipe" is a socket pair): bash on a socket believes sshd
        // started it and, below SHLVL 2, reads bashrc (bash(1), INVOCATION), whose PS1 test
        // fails under -u. https://www.gnu.org/software/bash/manual/bash.html#Invoked-by-remote-shell-daemon
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect([r.status, r.stderr]).toEqual([0, ""]);
      return Object.fromEntries(
        fs
          .readFileSync(output, "utf8")
          .trim()
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf("=")), JSON.parse(l.slice(l.indexOf("=") + 1))]),
      );
    };
    const infraStep = jobs.checks.steps.find((s) => s.id === "matrix")!.run!;
    expect(run(infraStep)).toEqual({
      stacks: ["dev", "prod", "staging"],
      nonproduction: ["dev", "staging"],
      production: ["prod"],
    });
    // Untouched stacks (scope "none" from npm run plan -- --scope) get no job.
    expect(run(infraStep, { dev: "none", staging: "services", prod: "none" })).toEqual({
      stacks: ["dev", "prod", "staging"],
      nonproduction: ["staging"],
      production: [],
    });
    const driftStep = (drift.jobs as Record<string, Job>).stacks.steps.find(
      (s) => s.id === "matrix",
    )!.run!;
    expect(run(driftStep).stacks).toEqual(["dev", "prod", "staging"]);
  });

  it("pull requests: a real preview with a PR comment for touched non-production stacks, same repository only", () => {
    const step = jobs.preview.steps.find((s) => s.uses === PULUMI_ACTION)!;
    expect(step.with).toMatchObject({
      command: "preview",
      "comment-on-pr": true,
      "stack-name": "${{ matrix.stack }}",
      policyPacks: "policy",
      target: "${{ steps.scope.outputs.targets }}",
    });
    expect(jobs.preview.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
    expect(jobs.preview.if).toContain("github.event_name == 'pull_request'");
    expect(String(jobs.preview.steps.find((s) => s.id === "stack")!.run)).toContain(
      "--role preview",
    );
    expect(jobs.preview.environment).toBeUndefined();
  });

  it("production: previewed from main, its environment's protection checked, deployed after approval", () => {
    const preview = jobs["preview-production"];
    expect(preview.if).toContain("github.event_name != 'pull_request'");
    const guard = preview.steps[0];
    expect(guard.run).toContain('gh api "repos/$REPO/environments/$STACK"');
    expect(guard.run).toContain('select(.type == "required_reviewers")');
    expect(guard.run).toContain(".deployment_branch_policy != null");
    expect(String(preview.steps.find((s) => s.id === "stack")!.run)).toContain("--role preview");
    const deploy = jobs["deploy-production"];
    expect(deploy.needs).toEqual(["checks", "deploy", "preview-production"]);
    expect(deploy.if).toContain("needs.preview-production.result == 'success'");
    expect(deploy.environment).toBe("${{ matrix.stack }}");
  });

  it("the drift workflow refreshes, fails on any change, and puts the report in the job summary and the issue", () => {
    expect(drift.on).toMatchObject({ schedule: [{ cron: "17 3 * * *" }] });
    const job = (drift.jobs as Record<string, Job>).drift;
    const check = job.steps.find((s) => String(s.run ?? "").includes("--refresh"))!;
    expect(check.run).toBe(
      'npm run preview -- --stack "$STACK" --refresh --expect-no-changes --markdown "out/drift-$STACK.md"',
    );
    const summary = job.steps[job.steps.indexOf(check) + 1];
    expect(summary.if).toBe("always()");
    expect(summary.run).toContain('cat "out/drift-$STACK.md" >> "$GITHUB_STEP_SUMMARY"');
    const issue = job.steps[job.steps.indexOf(check) + 2];
    expect(issue.if).toBe("failure()");
    expect(issue.run).toContain('cat "out/drift-$STACK.md"');
    expect(issue.run).toContain("gh issue create");
    expect(job.permissions).toEqual({ contents: "read", "id-token": "write", issues: "write" });
  });
});

/** The shell a CI document runs: GitHub `run:` values and Drone `commands:` entries. */
function commandTexts(value: unknown, key = ""): string[] {
  if (typeof value === "string") return key === "run" || key === "commands" ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => commandTexts(v, key));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => commandTexts(v, k));
  }
  return [];
}

type DroneStep = {
  name: string;
  image?: string;
  commands?: string[];
  environment?: Record<string, unknown>;
  when?: Node;
};

describe("docs/deploy.md documents what the pipelines need", () => {
  const doc = fs.readFileSync(path.join(REPO, "docs/deploy.md"), "utf8");

  it("every secret and variable the workflows and Drone read is named in the docs", () => {
    const names = new Set<string>();
    for (const file of WORKFLOWS) {
      const text = fs.readFileSync(path.join(REPO, file), "utf8");
      for (const m of text.matchAll(/\b(?:secrets|vars)\.([A-Z0-9_]+)/g)) names.add(m[1]);
    }
    names.delete("GITHUB_TOKEN");
    for (const p of documents(".drone.yml")) {
      for (const step of (p.steps as DroneStep[]) ?? []) {
        for (const value of Object.values(step.environment ?? {})) {
          const secret = (value as { from_secret?: string }).from_secret;
          if (secret) names.add(secret);
        }
      }
    }
    expect([...names].sort()).toEqual([
      "PULUMI_BACKEND_URL",
      "PULUMI_PREVIEW_ROLE_ARNS",
      "github_token",
      "pulumi_backend_url",
    ]);
    for (const name of names) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it("the production deploy role's trust policy admits only the prod environment's OIDC token", () => {
    const section = doc.slice(doc.indexOf("## Production deploys"));
    const json = /```json\n([\s\S]*?)```/.exec(section)![1];
    const policy = JSON.parse(json) as {
      Statement: { Effect: string; Principal: Node; Action: string; Condition: Node }[];
    };
    expect(policy.Statement).toHaveLength(1);
    const [statement] = policy.Statement;
    expect(statement.Effect).toBe("Allow");
    expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(statement.Principal).toEqual({
      Federated: "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com",
    });
    expect(statement.Condition).toEqual({
      StringEquals: {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub":
          "repo:acme-ml/ml-service-factory:environment:prod",
      },
    });
  });

  it("the documented Pulumi CLI version is the pinned one", () => {
    expect(doc).toContain(`sh -s -- --version ${PULUMI_VERSION}`);
  });
});

describe("CODEOWNERS", () => {
  const rules = fs
    .readFileSync(path.join(REPO, ".github/CODEOWNERS"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [pattern, ...owners] = l.trim().split(/\s+/);
      return { pattern, owners };
    });

  /** GitHub's rule: the last matching pattern wins (only the patterns used in this file). */
  function ownersOf(file: string): string[] {
    let owners: string[] = [];
    for (const rule of rules) {
      const p = rule.pattern;
      const matches =
        p === "*" ||
        (p.endsWith("/")
          ? `/${file}`.startsWith(p)
          : `/${file}` === p || `/${file}`.startsWith(`${p}/`));
      if (matches) owners = rule.owners;
    }
    return owners;
  }

  it("data scientists and the platform team own catalog entries", () => {
    expect(ownersOf("services/churn.yaml")).toEqual([
      "@acme-ml/data-science",
      "@acme-ml/ml-platform",
    ]);
  });

  it("only the platform team owns stacks, components, templates, the schema and everything else", () => {
    for (const file of [
      "stacks/Pulumi.prod.yaml",
      "components/ml-service.ts",
      "templates/service/README.md.njk",
      "services/schema.json",
      "catalog/settings.ts",
      ".drone.yml",
    ]) {
      expect([file, ownersOf(file)]).toEqual([file, ["@acme-ml/ml-platform"]]);
    }
  });
});
