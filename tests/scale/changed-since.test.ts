/**
 * `--changed-since`: in a 500-entry catalog under git, one changed entry plans exactly that
 * service; a path known to affect no service (docs, tests...) plans none; any other path (code, a
 * stack file, a folder that did not exist) plans everything; git problems are usage errors (exit 2).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  generatedEntry,
  generatedName,
  tempDir,
  writeCatalog,
  writeStacks,
} from "../../bench/catalog-generator";
import { usageLine } from "../../cli/command";
import { main, PLAN_COMMAND } from "../../cli/plan";
import { compiledCommand } from "../cli/compiled";
import { loadCatalog } from "../../catalog/load";
import { CatalogFile } from "../../catalog/types";
import {
  ChangedSinceError,
  describeSelection,
  NO_SERVICE_PATHS,
  selectChangedServices,
  selectForPlan,
} from "../../offline/plan/changed-since";
import { PlanDocument, runPlan, stacksOrThrow } from "../../offline/plan/run";
import { REPO } from "../helpers/plan";

const COUNT = 500;
const CHANGED = 137;

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
    cwd,
    encoding: "utf8",
  });
}

function commitAll(repo: string, message: string): void {
  git(repo, "add", "-A");
  git(repo, "commit", "-q", "-m", message);
}

describe("--changed-since", () => {
  let repo: string;
  let servicesDir: string;
  let stacksDir: string;
  /** The committed catalog, loaded once: read by the tests that select before changing anything. */
  let committed: CatalogFile[];
  let stderr: jest.SpyInstance;

  beforeAll(() => {
    repo = tempDir("changed-since");
    servicesDir = path.join(repo, "services");
    stacksDir = path.join(repo, "stacks");
    writeCatalog(servicesDir, COUNT);
    writeStacks(stacksDir, ["dev", "prod"]);
    fs.mkdirSync(path.join(repo, "templates"));
    fs.writeFileSync(path.join(repo, "templates", "README.md.njk"), "# {{ name }}\n");
    git(repo, "init", "-q", "-b", "main");
    commitAll(repo, "catalog");
    fs.writeFileSync(
      path.join(servicesDir, `${generatedName(CHANGED)}.yaml`),
      generatedEntry(CHANGED, 1),
    );
    commitAll(repo, "change one entry");
    committed = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
  });
  afterEach(() => {
    stderr.mockRestore();
    git(repo, "reset", "-q", "--hard", "HEAD");
    git(repo, "clean", "-q", "-fd");
  });

  const options = () => ({ servicesDir, stacksDir, projectRoot: repo });

  it("plans exactly the one changed entry of 500", async () => {
    const { selection, total } = selectForPlan("HEAD~1", options());
    expect(total).toBe(COUNT);
    expect(selection.all).toBe(false);
    expect(selection.changedEntries).toEqual([generatedName(CHANGED)]);
    expect(selection.selected.map((f) => f.entry.name)).toEqual([generatedName(CHANGED)]);
    expect(selection.skipped).toBe(COUNT - 1);
    expect(describeSelection(selection, total)).toBe(
      `changed since HEAD~1: planning 1 of 500 services, 499 skipped (their entry files did not change and nothing else that may affect them did)`,
    );
    const doc = await runPlan({
      stack: "dev",
      servicesDir,
      stacksDir,
      catalog: selection.selected,
    });
    expect(doc.services.map((s) => s.name)).toEqual([generatedName(CHANGED)]);
    expect(doc.services[0].file).toBe(selection.selected[0].file);
  });

  it("plans the changed entry through the command line, printing what it skipped", async () => {
    const out = path.join(repo, "out", "plan.json");
    const code = await main([
      "--services",
      servicesDir,
      "--changed-since",
      "HEAD~1",
      "--quiet",
      "--json",
      out,
    ]);
    expect(code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    expect(doc.services.map((s) => s.name)).toEqual([generatedName(CHANGED)]);
    const printed = stderr.mock.calls.map((c) => String(c[0])).join("");
    // The command line's stacks are the project's, outside this repository: entries decide.
    expect(printed).toContain(
      "changed since HEAD~1: planning 1 of 500 services, 499 skipped (their entry files did not change and nothing else that may affect them did)\n",
    );
  });

  it("writes the preview scope: the changed service and the exact URNs of its resources", async () => {
    const name = generatedName(CHANGED);
    const file = path.join(servicesDir, `${name}.yaml`);
    // The base plan: the entry as it was before the change (the base is narrowed to it anyway).
    git(repo, "checkout", "HEAD~1", "--", file);
    const whole = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
    const before = whole.filter((f) => f.entry.name === name);
    // The shared pieces come from the whole catalog, as in the command's own narrowed plan.
    const baseDoc = await runPlan({
      stack: "dev",
      servicesDir,
      stacksDir,
      catalog: before,
      wholeCatalog: whole,
    });
    git(repo, "checkout", "HEAD", "--", file);
    const baseFile = path.join(repo, "out", "base.json");
    fs.mkdirSync(path.dirname(baseFile), { recursive: true });
    fs.writeFileSync(baseFile, JSON.stringify(baseDoc));
    const out = path.join(repo, "out", "plan.json");
    const scopeFile = path.join(repo, "out", "scope.json");
    const args = ["--services", servicesDir, "--diff", baseFile, "--quiet", "--json", out];
    expect(await main([...args, "--changed-since", "HEAD~1", "--scope", scopeFile])).toBe(0);
    const doc = JSON.parse(fs.readFileSync(out, "utf8")) as PlanDocument;
    const targets = new Set([
      ...doc.services[0].resources.map((r) => r.urn),
      ...baseDoc.services[0].resources.map((r) => r.urn),
    ]);
    expect(JSON.parse(fs.readFileSync(scopeFile, "utf8"))).toEqual({
      stack: "dev",
      preview: "services",
      reason: `only these services change: ${name}`,
      services: [name],
      targets: [...targets].sort(),
    });
    // Every target is one of that service's URNs: nothing of the 499 others.
    expect([...targets].every((u) => u.endsWith(`::${name}`) || u.includes(`::${name}-`))).toBe(
      true,
    );

    // Against HEAD nothing changed: no preview at all.
    expect(await main([...args, "--changed-since", "HEAD", "--scope", scopeFile])).toBe(0);
    expect(JSON.parse(fs.readFileSync(scopeFile, "utf8"))).toMatchObject({
      preview: "none",
      reason: "the offline diff shows no change in this stack",
      targets: [],
    });
  });

  it("plans nothing but the platform when no entry changed", () => {
    const selection = selectChangedServices("HEAD", committed, options());
    expect(selection).toMatchObject({ all: false, changedEntries: [], selected: [], skipped: 500 });
  });

  it("counts uncommitted and untracked entries, and removed ones without planning them", () => {
    const catalogBefore = committed;
    fs.writeFileSync(path.join(servicesDir, `${generatedName(3)}.yaml`), generatedEntry(3, 2));
    fs.writeFileSync(path.join(servicesDir, `${generatedName(COUNT)}.yaml`), generatedEntry(COUNT));
    fs.rmSync(path.join(servicesDir, `${generatedName(9)}.yaml`));
    const catalog = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
    expect(catalog.length).toBe(catalogBefore.length);
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection.changedEntries).toEqual([
      generatedName(3),
      generatedName(9),
      generatedName(COUNT),
    ]);
    expect(selection.selected.map((f) => f.entry.name)).toEqual([
      generatedName(3),
      generatedName(COUNT),
    ]);
    expect(describeSelection(selection, catalog.length)).toBe(
      "changed since HEAD: planning 2 of 500 services, 498 skipped (their entry files did not change and nothing else that may affect them did; 1 changed entry was removed)",
    );
  });

  it.each([
    ["a stack file", "stacks/Pulumi.dev.yaml"],
    ["a template", "templates/README.md.njk"],
    ["the catalog schema", "services/schema.json"],
    ["a component", "components/ml-service.ts"],
  ])("plans every service when %s changed", (_what, file) => {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.appendFileSync(path.join(repo, file), "\n# changed\n");
    // The entries are as committed: only the shared file changed.
    const catalog = committed;
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection).toMatchObject({ all: true, sharedChanges: [file], skipped: 0 });
    expect(selection.selected).toHaveLength(COUNT);
    expect(describeSelection(selection, COUNT)).toBe(
      `changed since HEAD: planning all 500 services, 0 skipped (${file} changed, which may affect every service)`,
    );
  });

  it.each([
    ["a new top-level folder", "infra/extra.tf"],
    ["a new top-level file", "Makefile"],
    ["a Markdown file inside the templates (repository content)", "templates/CONTRIBUTING.md"],
    ["a CI workflow", ".github/workflows/deploy.yml"],
    ["the policy pack", "policy/index.ts"],
    ["the TypeScript settings of the program", "tsconfig.json"],
    ["a folder whose name only starts like docs", "docs-site/index.html"],
    ["a non-entry file of the catalog folder", "services/defaults.json"],
    ["a nested file of the catalog folder", "services/old/churn.yaml"],
  ])("fails safe: plans every service when %s changed", (_what, file) => {
    // Loaded before the change: the catalog loader itself refuses stray files in its folder.
    const catalog = committed;
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), "changed\n");
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection).toMatchObject({ all: true, sharedChanges: [file], skipped: 0 });
    expect(selection.selected).toHaveLength(COUNT);
  });

  it("plans no service when only documentation, tests, the benchmark or linter settings changed", () => {
    const files = [
      "docs/scale.md",
      "docs/images/flow.svg",
      "README.md",
      "CHANGELOG.md",
      "tests/scale/new.test.ts",
      "bench/run.ts",
      ".github/CODEOWNERS",
      ".github/PULL_REQUEST_TEMPLATE.md",
      ".prettierrc.json",
      "eslint.config.js",
      "jest.config.js",
      "tsconfig.jest.json",
      "services/README.md",
    ];
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      fs.writeFileSync(path.join(repo, file), "changed\n");
    }
    const catalog = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection).toMatchObject({
      all: false,
      changedEntries: [],
      sharedChanges: [],
      selected: [],
      skipped: COUNT,
    });
    // Each of them is skipped by exactly the rule that names it (none by accident).
    const matched = files
      .filter((f) => !f.startsWith("services/"))
      .map((f) => NO_SERVICE_PATHS.filter((p) => p.pattern.test(f)).length);
    expect(matched).toEqual(files.filter((f) => !f.startsWith("services/")).map(() => 1));
  });

  it("plans exactly the changed entry when documentation changed beside it", () => {
    fs.writeFileSync(path.join(servicesDir, `${generatedName(7)}.yaml`), generatedEntry(7, 3));
    fs.mkdirSync(path.join(repo, "docs"), { recursive: true });
    fs.writeFileSync(path.join(repo, "docs", "scale.md"), "changed\n");
    const catalog = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection).toMatchObject({
      all: false,
      changedEntries: [generatedName(7)],
      sharedChanges: [],
      skipped: COUNT - 1,
    });
    expect(selection.selected.map((f) => f.entry.name)).toEqual([generatedName(7)]);
  });

  it("ignores files outside the catalog, the stacks and the shared code", () => {
    fs.writeFileSync(path.join(repo, "notes.md"), "unrelated\n");
    fs.writeFileSync(path.join(servicesDir, "README.md"), "how to add a service\n");
    const catalog = loadCatalog(servicesDir, stacksOrThrow(stacksDir));
    const selection = selectChangedServices("HEAD", catalog, options());
    expect(selection).toMatchObject({ all: false, changedEntries: [], sharedChanges: [] });
  });

  it("refuses an unknown ref with a clear message", () => {
    expect(() => selectForPlan("no-such-branch", options())).toThrow(
      new ChangedSinceError(
        'unknown git ref "no-such-branch" (in CI, fetch it first, e.g. git fetch origin main, and pass origin/main)',
      ),
    );
    expect(() => selectChangedServices("--output=x", committed, options())).toThrow(
      new ChangedSinceError('"--output=x" is not a git ref'),
    );
  });

  it("refuses a catalog outside a git repository", () => {
    const loose = tempDir("not-a-repo");
    try {
      writeCatalog(loose, 2);
      expect(() => selectForPlan("HEAD", { servicesDir: loose, stacksDir })).toThrow(
        new ChangedSinceError(
          `${loose} is not inside a git repository (plan from a git checkout, or plan the whole catalog)`,
        ),
      );
    } finally {
      fs.rmSync(loose, { recursive: true, force: true });
    }
  });

  it("exits 2 on a git error from the compiled command line", () => {
    const result = spawnSync(
      process.execPath,
      [compiledCommand("plan"), "--services", servicesDir, "--changed-since", "no-such-branch"],
      { cwd: REPO, encoding: "utf8" },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'error: --changed-since: unknown git ref "no-such-branch" (in CI, fetch it first, e.g. git fetch origin main, and pass origin/main)\n',
    );
    expect(result.stderr).toContain(`\n${usageLine(PLAN_COMMAND)}\n`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
