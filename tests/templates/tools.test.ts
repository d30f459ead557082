/**
 * The rendered repositories checked by the real tools that will consume them: one repository per
 * template, rendered once, together covering both orchestrators (sklearn from a databricks stack,
 * pyspark from an airflow stack). The DAG files an airflow stack deploys to its DAG bucket
 * (program/render/airflow.ts) go through the same Python tools. Each tool runs once over every file
 * it checks, or once per template where the repository is its unit (isort's settings, mypy,
 * pytest).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { renderAirflowDag, TEMPLATE_NAMES } from "../../program/render";
import { examples, PYTHON, render, run, runAsync, tempDir, writeRepository } from "./fixtures";

/** The repository rendered per template: an example service as one stack deploys it. */
const VARIANTS = [
  { template: "sklearn", stack: "dev", service: "product-recommender" },
  { template: "pyspark", stack: "prod", service: "demand-forecast" },
] as const;
const PLATFORM_YAMLLINT = path.join(__dirname, "..", "..", ".yamllint.yaml");
/**
 * mypy's incremental cache, kept across runs of this file: a cold run spends ~10 s of CPU on the
 * standard library, numpy and pytest, which never change between runs; the rendered repositories
 * are new files in a new folder each time, so mypy checks them afresh. mypy validates each cache
 * entry against its source and options (https://mypy.readthedocs.io/en/stable/command_line.html#incremental-mode)
 * and writes entries atomically, so concurrent runs share it safely (python/mypy mypy/metastore.py,
 * FilesystemMetadataStore.write: a temporary file, then os.replace).
 */
const MYPY_CACHE = path.join(os.tmpdir(), `mlplatform-mypy-cache-${os.userInfo().uid}`);

const root = tempDir("rendered-repos-");
const repos: { dir: string; template: string; airflow: boolean; pkg: string }[] = [];
/** The deployed DAG files of the airflow stacks' services (stand-in job ids). */
const dagsDir = path.join(root, "deployed-dags");
const dagFiles: string[] = [];
let airflowServices = 0;

beforeAll(() => {
  const all = examples();
  for (const variant of VARIANTS) {
    const example = all.find((e) => e.stack === variant.stack && e.service.name === variant.service);
    if (!example) throw new Error(`no example ${variant.service} in stack ${variant.stack}`);
    const { service, settings } = example;
    const dir = path.join(root, `${variant.stack}-${service.name}`);
    writeRepository(dir, render(service, settings));
    repos.push({
      dir,
      template: service.template,
      airflow: settings.orchestrator === "airflow",
      pkg: service.name.replace(/-/g, "_"),
    });
  }
  fs.mkdirSync(dagsDir, { recursive: true });
  for (const { service, settings } of all) {
    if (settings.orchestrator !== "airflow") continue;
    airflowServices += 1;
    const dag = renderAirflowDag(service, settings, {
      training: "123456789",
      batchPrediction: service.batchPrediction ? "987654321" : undefined,
    });
    const file = path.join(dagsDir, path.basename(dag.key));
    fs.writeFileSync(file, dag.content);
    dagFiles.push(file);
  }
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function filesUnder(dir: string, test: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, test));
    else if (test(full)) out.push(full);
  }
  return out.sort();
}

function expectClean(result: { status: number | null; output: string }): void {
  if (result.status !== 0) throw new Error(result.output);
  expect(result.status).toBe(0);
}

describe("rendered repositories", () => {
  it("cover each template once and both orchestrators, and carry no DAG (the stack deploys it)", () => {
    expect(repos.map((r) => r.template).sort()).toEqual([...TEMPLATE_NAMES].sort());
    for (const repo of repos) expect(fs.existsSync(path.join(repo.dir, "dags"))).toBe(false);
    expect(airflowServices).toBeGreaterThan(0);
    expect(dagFiles).toHaveLength(airflowServices);
    expect(repos.some((r) => r.airflow)).toBe(true);
    expect(repos.some((r) => !r.airflow)).toBe(true);
  });

  it("have pre-commit configurations that pre-commit accepts", () => {
    expectClean(
      run(
        "pre-commit",
        ["validate-config", ...repos.map((r) => path.join(r.dir, ".pre-commit-config.yaml"))],
      ),
    );
  });

  it("pin every pre-commit hook to a release and include the required hooks", () => {
    for (const repo of repos) {
      const config = YAML.parse(
        fs.readFileSync(path.join(repo.dir, ".pre-commit-config.yaml"), "utf8"),
      ) as { repos: { rev: string; hooks: { id: string }[] }[] };
      for (const hookRepo of config.repos) expect(hookRepo.rev).toMatch(/^v?\d+\.\d+\.\d+$/);
      const ids = config.repos.flatMap((r) => r.hooks.map((h) => h.id));
      for (const id of [
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "black",
        "flake8",
        "isort",
        "mypy",
        "gitleaks",
      ]) {
        expect(ids).toContain(id);
      }
    }
  });

  it("pass yamllint without a warning on every YAML file (their own configuration and the platform's)", () => {
    const yamlFiles = repos.flatMap((r) => filesUnder(r.dir, (f) => /\.ya?ml$/.test(f)));
    expect(yamlFiles.length).toBeGreaterThanOrEqual(repos.length * 4);
    const own = run("yamllint", [
      "-f",
      "parsable",
      "-c",
      path.join(repos[0].dir, ".yamllint.yaml"),
      ...yamlFiles,
    ]);
    expect(own.output).toBe("");
    expectClean(own);
    const platform = run("yamllint", ["-f", "parsable", "-c", PLATFORM_YAMLLINT, ...yamlFiles]);
    expect(platform.output).toBe("");
    expectClean(platform);
  });

  it("ship a yamllint configuration that still fails on broken YAML", () => {
    const broken = path.join(root, "broken.yaml");
    fs.writeFileSync(broken, "key: [unclosed\nkey: again\n");
    const result = run("yamllint", ["-c", path.join(repos[0].dir, ".yamllint.yaml"), broken]);
    expect(result.status).toBe(1);
    expect(result.output).toContain("syntax error");
  });

  it("have pipeline steps whose commands pass shellcheck", () => {
    const scripts: string[] = [];
    for (const repo of repos) {
      const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(repo.dir, ".drone.yml"), "utf8"));
      for (const doc of docs) {
        const pipeline = doc.toJS() as { name: string; steps: { name: string; commands?: string[] }[] };
        for (const step of pipeline.steps) {
          if (!step.commands) continue;
          // Drone turns $$ into $ before the shell sees the commands.
          const body = step.commands.map((c) => c.replace(/\$\$/g, "$")).join("\n");
          const file = path.join(root, `${path.basename(repo.dir)}-${pipeline.name}-${step.name}.sh`);
          fs.writeFileSync(file, `#!/bin/sh\nset -e\n${body}\n`);
          scripts.push(file);
        }
      }
    }
    expect(scripts.length).toBe(repos.length * 8);
    expectClean(run("shellcheck", ["--shell=sh", "--severity=style", ...scripts]));
  });

  it("are formatted by black and clean under flake8 and isort", () => {
    expectClean(run("black", ["--check", "--quiet", ...repos.map((r) => r.dir), dagsDir]));
    expectClean(
      run("flake8", [
        "--config",
        path.join(repos[0].dir, ".flake8"),
        ...repos.map((r) => r.dir),
        dagsDir,
      ]),
    );
    // Once per template: each repository's settings name its own package as first party.
    for (const repo of repos) {
      expectClean(run("isort", ["--check-only", "--settings-path", repo.dir, "."], repo.dir));
    }
    expectClean(run("isort", ["--check-only", "--profile", "black", "."], dagsDir));
  });

  it("compile with Python (deployed DAGs included)", () => {
    const pyFiles = repos.flatMap((r) => filesUnder(r.dir, (f) => f.endsWith(".py")));
    expect(dagFiles.length).toBeGreaterThan(0);
    expectClean(run(PYTHON, ["-m", "py_compile", ...pyFiles, ...dagFiles]));
  });

  it("type-check with mypy", () => {
    // One run per template, one after the other on one cache: the second reuses the first's
    // analysis of the standard library and the dependencies (in parallel both would start cold).
    for (const repo of repos) {
      const result = run("mypy", ["--cache-dir", MYPY_CACHE, "src", "tests"], repo.dir);
      expectClean(result);
      expect(result.output).toContain("Success: no issues found");
    }
  });

  it("pass their own unit tests with pytest", async () => {
    const results = await Promise.all(
      repos.map((repo) => runAsync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider"], repo.dir)),
    );
    for (const result of results) {
      expectClean(result);
      expect(result.output).toMatch(/\d+ passed/);
      expect(result.output).not.toMatch(/failed|error/i);
    }
  }, 600_000);
});
