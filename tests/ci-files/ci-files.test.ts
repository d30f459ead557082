/** The repository's own CI files: parsed, linted with the real yamllint, scripts cross-checked. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

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

describe(".drone.yml", () => {
  const pipelines = documents(".drone.yml");
  const byName = new Map(pipelines.map((p) => [p.name as string, p]));
  type Step = { name: string; commands?: string[]; environment?: Node; when?: Node };
  const steps = (name: string): Step[] => (byName.get(name)!.steps as Step[]) ?? [];
  const commands = (name: string): string =>
    steps(name)
      .flatMap((s) => s.commands ?? [])
      .join("\n");

  it("has the four pipelines with their triggers", () => {
    expect(pipelines.map((p) => p.name)).toEqual([
      "pull-request",
      "deploy-dev",
      "deploy-prod",
      "drift",
    ]);
    expect(pipelines.every((p) => p.kind === "pipeline" && p.type === "docker")).toBe(true);
    expect(byName.get("pull-request")!.trigger).toEqual({ event: ["pull_request"] });
    expect(byName.get("deploy-dev")!.trigger).toEqual({ event: ["push"], branch: ["main"] });
    expect(byName.get("deploy-prod")!.trigger).toEqual({ event: ["promote"], target: ["prod"] });
    expect(byName.get("drift")!.trigger).toEqual({ event: ["cron"], cron: ["nightly-drift"] });
  });

  it("pull requests: install, checks, offline plan diffed against a worktree of the target branch", () => {
    const text = commands("pull-request");
    expect(npmScriptsUsed(text)).toEqual([
      "lint",
      "plan",
      "preview",
      "test",
      "typecheck",
      "validate",
    ]);
    expect(text).toContain("npm ci --no-audit --no-fund");
    expect(text).toContain("git worktree add --detach /tmp/base FETCH_HEAD");
    expect(text).toContain('--diff "out/base-$stack.json"');
    expect(text).not.toContain("npm run up");
  });

  it("the plan comment uses the token secret and skips when it is absent (fork pull requests)", () => {
    const comment = steps("pull-request").find((s) => s.name === "comment-plan")!;
    expect(comment.environment).toEqual({ GITHUB_TOKEN: { from_secret: "github_token" } });
    expect(comment.commands![0]).toContain('if [ -z "$GITHUB_TOKEN" ]');
    expect(comment.commands![0]).toContain("exit 0");
    expect(comment.commands!.join("\n")).toContain(
      "https://api.github.com/repos/$DRONE_REPO/issues/$DRONE_PULL_REQUEST/comments",
    );
  });

  it("real previews skip with exit 78 without credentials, before installing anything", () => {
    for (const stack of ["dev", "prod"]) {
      const step = steps("pull-request").find((s) => s.name === `preview-${stack}`)!;
      expect(step.commands![0]).toContain("exit 78");
      expect(step.commands![step.commands!.length - 1]).toContain(
        `npm run preview -- --stack ${stack} --json out/preview-${stack}.json`,
      );
    }
  });

  it("the offline plan writes each stack's preview scope, and the real preview covers only it", () => {
    const plan = steps("pull-request").find((s) => s.name === "offline-plan")!;
    expect(plan.commands!.join("\n")).toContain('--scope "out/scope-$stack.json"');
    for (const stack of ["dev", "prod"]) {
      const step = steps("pull-request").find((s) => s.name === `preview-${stack}`)!;
      const [, decide, install, , run] = step.commands!;
      // Nothing changes in the stack: no preview, and nothing installed for it.
      expect(decide).toContain(`scope=$(node -p 'require("./out/scope-${stack}.json").preview')`);
      expect(decide).toContain('if [ "$scope" = "none" ]');
      expect(decide).toContain("exit 0");
      expect(install).toContain("get.pulumi.com");
      // Only services change: exactly their resources; otherwise the whole stack.
      expect(run).toContain('if [ "$scope" = "services" ]');
      expect(run).toContain(
        `--service "$(node -p 'require("./out/scope-${stack}.json").services.join(",")')"`,
      );
      expect(run).toContain(
        `else\n  npm run preview -- --stack ${stack} --json out/preview-${stack}.json\nfi`,
      );
      // Drone substitutes ${...} only: the shell variables here are plain $name.
      expect(step.commands!.join("\n")).not.toMatch(/\$\{(?!\{)/);
    }
  });

  it("deploys dev on merge and prod on promotion, each followed by a no-changes preview", () => {
    for (const stack of ["dev", "prod"]) {
      const text = commands(`deploy-${stack}`);
      const up = text.indexOf(`npm run up -- --stack ${stack}\n`);
      const check = text.indexOf(`npm run preview -- --stack ${stack} --expect-no-changes`);
      expect(up).toBeGreaterThan(0);
      expect(check).toBeGreaterThan(up);
      expect(text).not.toContain(`--stack ${stack === "dev" ? "prod" : "dev"}`);
    }
  });

  it("the nightly drift check previews every stack with --expect-no-changes and reports a failure", () => {
    const text = commands("drift");
    expect(text).toContain("npm run preview -- --stack dev --expect-no-changes");
    expect(text).toContain("npm run preview -- --stack prod --expect-no-changes");
    const report = steps("drift").find((s) => s.name === "report-drift")!;
    expect(report.when).toEqual({ status: ["failure"] });
  });

  it("takes every secret from Drone secrets, never inline", () => {
    const secretish = /TOKEN|SECRET|PASSPHRASE|ACCESS_KEY|BACKEND_URL/;
    let checked = 0;
    for (const p of pipelines) {
      for (const step of (p.steps as Step[]) ?? []) {
        for (const [key, value] of Object.entries(step.environment ?? {})) {
          if (!secretish.test(key)) continue;
          checked++;
          expect([key, value]).toEqual([
            key,
            { from_secret: expect.stringMatching(/^[a-z0-9_]+$/) },
          ]);
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(25);
  });
});

describe("GitHub Actions workflows", () => {
  const [infra] = documents(".github/workflows/infrastructure.yml");
  const [drift] = documents(".github/workflows/drift.yml");
  type Job = {
    permissions?: Node;
    environment?: unknown;
    needs?: unknown;
    if?: string;
    steps: Node[];
  };
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
    expect(jobs["deploy-prod"].permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  it("pins every action to a commit or a release tag, never a branch", () => {
    const uses = [infra, drift].flatMap((w) =>
      Object.values(w.jobs as Record<string, Job>).flatMap((j) => j.steps.map((s) => s.uses)),
    );
    const actions = uses.filter((u): u is string => typeof u === "string");
    expect(actions.length).toBeGreaterThan(10);
    for (const action of actions)
      expect(action).toMatch(/^[\w.-]+\/[\w.-]+@([0-9a-f]{40}|v\d+(\.\d+)*)$/);
  });

  it("previews with the Pulumi action and a PR comment, for same-repository pull requests only", () => {
    const step = jobs.preview.steps.find((s) => s.uses === "pulumi/actions@v6")!;
    expect(step.with).toMatchObject({
      command: "preview",
      "comment-on-pr": true,
      "stack-name": "${{ matrix.stack }}",
    });
    expect(jobs.preview.if).toContain(
      "github.event.pull_request.head.repo.full_name == github.repository",
    );
  });

  it("previews only what the offline plan's scope names: nothing, the changed services' URNs, or all", () => {
    const plan = jobs.checks.steps.find((s) => String(s.run ?? "").includes("--changed-since"))!;
    expect(plan.run).toContain('--scope "out/scope-$stack.json"');
    const keep = jobs.checks.steps.find((s) => s.uses === "actions/upload-artifact@v4")!;
    expect(keep.with).toMatchObject({ name: "preview-scope", path: "out/scope-*.json" });
    const steps = jobs.preview.steps;
    const fetch = steps.findIndex((s) => s.uses === "actions/download-artifact@v4");
    const scope = steps.findIndex((s) => s.id === "scope");
    const action = steps.findIndex((s) => s.uses === "pulumi/actions@v6");
    expect(fetch).toBeGreaterThanOrEqual(0);
    expect(fetch).toBeLessThan(scope);
    expect(scope).toBeLessThan(action);
    expect(steps[scope].run).toContain("out/scope-${process.env.STACK}.json");
    expect(steps[scope].run).toContain("GITHUB_OUTPUT");
    expect(steps[action].if).toBe("steps.scope.outputs.preview != 'none'");
    expect((steps[action].with as Record<string, unknown>).target).toBe(
      "${{ steps.scope.outputs.targets }}",
    );
    // Nothing is installed or assumed for a stack the change does not touch.
    for (const s of steps.slice(scope + 1))
      expect(s.if).toBe("steps.scope.outputs.preview != 'none'");
  });

  it("deploys dev, then prod behind the prod environment, each checked with --expect-no-changes", () => {
    expect(jobs["deploy-dev"].environment).toBe("dev");
    expect(jobs["deploy-prod"].environment).toBe("prod");
    expect(jobs["deploy-prod"].needs).toBe("deploy-dev");
    const runs = (job: Job) =>
      job.steps.map((s) => s.run).filter((r): r is string => typeof r === "string");
    expect(runs(jobs["deploy-prod"])).toEqual([
      "npm ci --no-audit --no-fund",
      "npm run up -- --stack prod --instance-credentials",
      "npm run preview -- --stack prod --expect-no-changes --instance-credentials",
    ]);
  });

  it("the drift workflow runs nightly for every stack", () => {
    expect(drift.on).toMatchObject({ schedule: [{ cron: "17 3 * * *" }] });
    const job = (drift.jobs as Record<string, Job & { strategy: Node }>).drift;
    expect(job.strategy.matrix).toEqual({ stack: ["dev", "prod"] });
    expect(strings(job.steps).join("\n")).toContain("--expect-no-changes");
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
      "lib/settings.ts",
      ".drone.yml",
    ]) {
      expect([file, ownersOf(file)]).toEqual([file, ["@acme-ml/ml-platform"]]);
    }
  });
});
