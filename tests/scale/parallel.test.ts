/**
 * The parallel offline plan (offline/plan/parallel.ts): on a generated catalog with removed,
 * changed and decommissioned services across five teams (the smallest that has each case), the
 * plan merged from 2 and 3 worker processes is the single-process plan byte for byte, and so is
 * everything the command line derives from it (text, diff, Markdown, preview scope, removal
 * guard, policy findings). An invalid catalog is refused before any worker is asked to plan (and
 * the workers started ahead are stopped); a worker's failure is the error the single-process plan
 * reports, and no worker outlives the plan.
 *
 * The workers are the compiled plan-worker (dist/, built first when stale), the program `npm run
 * plan` runs, started while this process plans the references (as the command starts them while
 * it validates): the plan they merge is compared with runPlan of the sources.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import {
  GENERATED_TEAMS,
  generatedEntry,
  generatedName,
  tempDir,
  writeCatalog,
  writeStacks,
} from "../../bench/catalog-generator";
import { exitCodeFor } from "../../cli/command";
import { previousOutputsOf } from "../../cli/plan";
import { CatalogError } from "../../catalog/errors";
import { physicalNames } from "../../catalog/names";
import { diffPlans } from "../../offline/plan/diff";
import { formatDiff, formatMarkdown, formatPlan } from "../../offline/plan/format";
import {
  contiguousSlices,
  describeFailure,
  failureError,
  planParallel,
  workerExecArgv,
  workerModule,
} from "../../offline/plan/parallel";
import { checkRemovals, parseAllowRemoval } from "../../offline/plan/removal-guard";
import { PlanDocument, PlanInputError, runPlan, stacksOrThrow } from "../../offline/plan/run";
import { previewScope } from "../../offline/plan/scope";
import { engineIds } from "../../offline/plan/types";
import { SettingsError } from "../../catalog/settings";
import { StartedWorkers, startWorkers, stopWorkers } from "../../offline/plan/workers";
import { compiledCommand, ROOT } from "../cli/compiled";

/** Services of the current catalog (two or more per team). */
const COUNT = 12;
const REMOVED = [COUNT, COUNT + 1].map(generatedName);
const CHANGED = 5;
/**
 * The base plan's services: two unchanged, the changed one and the two removed since (the other
 * services of the current catalog are new in the diff).
 */
const BASE = [0, 1, CHANGED, COUNT, COUNT + 1];
const DECOMMISSIONED = [3, 7, 10];
/** Services 2, 5, 8 and 11 are dev only (every third generated service). */
const DEV_ONLY = 4;
/** The compiled worker: no ts-node (the flags that add it are checked below, on workerExecArgv). */
const WORKER = path.join(ROOT, "dist", "offline", "plan", "plan-worker.js");
const WORKER_FLAGS: string[] = [];

/** The lines `npm run plan` prints for an error (cli/command.ts exitCodeFor). */
function printed(error: unknown): { code: number; text: string } {
  let text = "";
  const code = exitCodeFor(error, "usage: npm run plan", { err: (t) => (text += t), env: {} });
  return { code, text };
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  try {
    await run;
  } catch (error) {
    return error;
  }
  throw new Error("expected the plan to fail");
}

/** True while a process of that id exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Everything the command line derives from a plan and its base. */
function derived(doc: PlanDocument, base: PlanDocument) {
  const diff = diffPlans(base, doc);
  return {
    json: JSON.stringify(doc, null, 2),
    text: formatPlan(doc),
    diff: formatDiff(diff),
    markdown: formatMarkdown(doc, diff),
    scope: JSON.stringify(previewScope({ plan: doc, diff, base, sharedChanges: [] })),
    removals: checkRemovals(base, doc, diff, {
      protectData: false,
      allowRemoval: parseAllowRemoval(REMOVED.join(",")),
    }),
  };
}

describe("parallel offline plan", () => {
  let root: string;
  let servicesDir: string;
  let stacksDir: string;
  const bases: Record<string, PlanDocument> = {};
  const singles: Record<string, PlanDocument> = {};

  let warn: jest.SpyInstance;
  /** Workers started ahead, per test that plans with them. */
  let ahead: Record<"dev" | "prod" | "error", StartedWorkers>;
  let crash: string;

  beforeAll(async () => {
    // GitHub Free makes the program warn once per repository: expected, and not this test's subject.
    warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    compiledCommand("plan");
    root = tempDir("parallel-plan");
    servicesDir = path.join(root, "services");
    stacksDir = path.join(root, "stacks");
    const baseDir = path.join(root, "base-services");
    writeStacks(stacksDir, ["dev", "prod"]);
    // GitHub Free: no rulesets on private repositories, so dev's policy findings are not empty.
    const devStack = path.join(stacksDir, "Pulumi.dev.yaml");
    const stackDoc = YAML.parseDocument(fs.readFileSync(devStack, "utf8"));
    stackDoc.setIn(["config", "mlplatform:githubPlan"], "free");
    stackDoc.setIn(["config", "mlplatform:githubSecretProtection"], false);
    fs.writeFileSync(devStack, stackDoc.toString());
    fs.mkdirSync(baseDir);
    for (const i of BASE) {
      fs.writeFileSync(path.join(baseDir, `${generatedName(i)}.yaml`), generatedEntry(i));
    }
    writeCatalog(servicesDir, COUNT);
    fs.writeFileSync(
      path.join(servicesDir, `${generatedName(CHANGED)}.yaml`),
      generatedEntry(CHANGED, 1),
    );
    for (const dir of [baseDir, servicesDir]) {
      for (const file of fs.readdirSync(dir)) {
        const index = Number(file.slice("svc-".length, -".yaml".length));
        const entry = YAML.parse(fs.readFileSync(path.join(dir, file), "utf8"));
        // Internal repositories need GitHub Enterprise.
        if (entry.repository) entry.repository.visibility = "private";
        if (dir === servicesDir && DECOMMISSIONED.includes(index)) entry.decommissioned = true;
        fs.writeFileSync(path.join(dir, file), YAML.stringify(entry));
      }
    }
    // Preloaded into the workers of the crash test: the second one dies at once.
    crash = path.join(root, "crash.js");
    fs.writeFileSync(crash, `if (process.env.MLPLATFORM_PLAN_WORKER === "1") process.exit(7);\n`);
    // The workers load the program while this process plans the references.
    ahead = {
      dev: startWorkers(3, WORKER, WORKER_FLAGS),
      prod: startWorkers(2, WORKER, WORKER_FLAGS),
      error: startWorkers(2, WORKER, WORKER_FLAGS),
    };
    for (const stack of ["dev", "prod"]) {
      bases[stack] = await runPlan({ stack, servicesDir: baseDir, stacksDir });
      singles[stack] = await runPlan({
        stack,
        servicesDir,
        stacksDir,
        previousOutputs: previousOutputsOf(bases[stack]),
      });
    }
  }, 300_000);
  afterAll(async () => {
    // Workers of a test that failed before planning with them.
    await stopWorkers(Object.values(ahead ?? {}).flatMap((w) => w.children));
    warn.mockRestore();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("has a catalog with the cross-service facts the workers must agree on", () => {
    const dev = singles.dev;
    // Every third generated service is dev only: prod has the others.
    expect(dev.summary.services).toBe(COUNT);
    expect(singles.prod.summary.services).toBe(COUNT - DEV_ONLY);
    expect(singles.prod.summary.services).toBe(8);
    expect(Object.keys(dev.retained)).toEqual(REMOVED);
    expect(Object.keys(singles.prod.retained)).toEqual(REMOVED);
    expect(dev.services.filter((s) => s.decommissioned).map((s) => s.name)).toEqual(
      DECOMMISSIONED.map(generatedName),
    );
    const grants = dev.platform.resources.filter((r) => r.type === "databricks:index/grant:Grant");
    expect(grants.map((r) => r.name)).toEqual(
      [...GENERATED_TEAMS]
        .sort()
        .flatMap((team) => [`team-${team}-model-catalog`, `team-${team}-model-schema`]),
    );
    // One mandatory finding per repository of dev that is not archived (decommissioned).
    const active = dev.services.filter((s) => !s.decommissioned).map((s) => s.name);
    expect(active).toHaveLength(COUNT - DECOMMISSIONED.length);
    expect(dev.findings.map((f) => [f.policy, f.severity, f.service])).toEqual(
      active.map((name) => ["github-default-branch-protected", "mandatory", name]),
    );
    expect(singles.prod.findings).toEqual([]);
    expect(
      singles.prod.platform.resources.filter((r) => r.type === "mlplatform:aws:ImagePromotionRole"),
    ).toHaveLength(1);
  });

  // Both stacks, 2 and 3 workers (each worker loads the program anew: one pair keeps the test short).
  it.each([
    ["dev", 3],
    ["prod", 2],
  ] as const)(
    "stack %s over %d workers: byte-identical plan, diff, Markdown, scope and findings",
    async (stack, workers) => {
      const progress: [number, number][] = [];
      const pids: number[] = [];
      const merged = await planParallel({
        stack,
        servicesDir,
        stacksDir,
        previousOutputs: previousOutputsOf(bases[stack]),
        workers,
        worker: WORKER,
        execArgv: WORKER_FLAGS,
        started: ahead[stack],
        onProgress: (declared, total) => progress.push([declared, total]),
        onWorkerStarted: (pid) => pids.push(pid),
      });
      const single = singles[stack];
      expect(JSON.stringify(merged)).toBe(JSON.stringify(single));
      expect(derived(merged, bases[stack])).toEqual(derived(single, bases[stack]));
      expect(merged.findings).toEqual(single.findings);
      // The engine's ids (not written, read by the policies) cross the process boundary too.
      expect(engineIds(merged)).toEqual(engineIds(single));
      expect(Object.keys(engineIds(merged)).length).toBeGreaterThanOrEqual(
        single.summary.resources,
      );
      // The plan used the workers started ahead, and each one has exited.
      expect(pids).toEqual(ahead[stack].children.map((c) => c.pid));
      expect(pids).toHaveLength(workers);
      expect(pids.filter(alive)).toEqual([]);
      // The combined progress: one call per declared service, up to all of the stack's.
      const total = single.summary.services;
      expect(progress.every(([, t]) => t === total)).toBe(true);
      expect(progress.map(([d]) => d)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    },
    60_000,
  );

  it("plans in this process with one worker", async () => {
    const pids: number[] = [];
    const doc = await planParallel({
      stack: "prod",
      servicesDir,
      stacksDir,
      previousOutputs: previousOutputsOf(bases.prod),
      workers: 1,
      onWorkerStarted: (pid) => pids.push(pid),
    });
    expect(JSON.stringify(doc)).toBe(JSON.stringify(singles.prod));
    expect(pids).toEqual([]);
  }, 60_000);

  it("refuses a name collision in the parent, as the single-process plan does", async () => {
    const dir = path.join(root, "colliding");
    writeCatalog(dir, 4);
    const prefix = stacksOrThrow(stacksDir).find((s) => s.stack === "dev")!.settings.namePrefix;
    // svc-0001 adopts, as its artifacts bucket, the bucket svc-0000 derives.
    const taken = physicalNames(generatedName(0), "dev", prefix).artifactsBucket;
    const file = path.join(dir, `${generatedName(1)}.yaml`);
    const entry = YAML.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(
      file,
      YAML.stringify({ ...entry, adopt: { dev: { artifactsBucket: taken } } }),
    );
    const pids: number[] = [];
    const single = await rejection(runPlan({ stack: "dev", servicesDir: dir, stacksDir }));
    const parallel = await rejection(
      planParallel({
        stack: "dev",
        servicesDir: dir,
        stacksDir,
        workers: 2,
        onWorkerStarted: (pid) => pids.push(pid),
      }),
    );
    expect(single).toBeInstanceOf(CatalogError);
    expect(parallel).toBeInstanceOf(CatalogError);
    expect((single as CatalogError).problems.join("\n")).toContain(`S3 bucket "${taken}"`);
    expect(printed(parallel)).toEqual(printed(single));
    expect(printed(parallel).code).toBe(1);
    expect(pids).toEqual([]);
    // Workers started ahead (as `npm run plan` starts them) are stopped, none asked to plan.
    const started = startWorkers(2, WORKER, WORKER_FLAGS);
    const again = await rejection(
      planParallel({
        stack: "dev",
        servicesDir: dir,
        stacksDir,
        workers: 2,
        worker: WORKER,
        started,
        onWorkerStarted: (pid) => pids.push(pid),
      }),
    );
    expect(printed(again)).toEqual(printed(single));
    expect(pids).toEqual([]);
    expect(started.children.map((c) => c.signalCode)).toEqual(["SIGKILL", "SIGKILL"]);
    expect(started.children.map((c) => c.pid!).filter(alive)).toEqual([]);
  }, 60_000);

  it("refuses an unknown stack and a worker count below one with exit code 2", async () => {
    const single = await rejection(runPlan({ stack: "qa", servicesDir, stacksDir }));
    const parallel = await rejection(
      planParallel({ stack: "qa", servicesDir, stacksDir, workers: 2 }),
    );
    expect(printed(parallel)).toEqual(printed(single));
    expect(printed(parallel)).toEqual({
      code: 2,
      text: 'error: unknown stack "qa" (stacks: dev, prod)\nusage: npm run plan\n',
    });
    const zero = await rejection(
      planParallel({ stack: "dev", servicesDir, stacksDir, workers: 0 }),
    );
    expect(zero).toBeInstanceOf(PlanInputError);
    expect((zero as Error).message).toBe("--workers 0: must be a whole number from 1 up");
  });

  it("reports the error a worker hit as the single-process plan reports it", async () => {
    // A previous deployment whose output has the wrong type fails inside the program.
    const previousOutputs = { services: { gone: { ecrRepositoryUrl: 5 } }, retained: {} };
    const single = await rejection(
      runPlan({ stack: "dev", servicesDir, stacksDir, previousOutputs }),
    );
    const pids: number[] = [];
    const parallel = await rejection(
      planParallel({
        stack: "dev",
        servicesDir,
        stacksDir,
        previousOutputs,
        workers: 2,
        worker: WORKER,
        execArgv: WORKER_FLAGS,
        started: ahead.error,
        onWorkerStarted: (pid) => pids.push(pid),
      }),
    );
    expect((single as Error).message).toMatch(/ecrRepositoryUrl/);
    expect(printed(parallel)).toEqual(printed(single));
    expect(printed(parallel).code).toBe(1);
    expect(pids).toHaveLength(2);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);

  it("reports a crashed worker and stops the others", async () => {
    // Started by the plan itself, crash.js preloaded: the second dies at once, the first would plan on.
    const pids: number[] = [];
    const error = await rejection(
      planParallel({
        stack: "dev",
        servicesDir,
        stacksDir,
        workers: 2,
        worker: WORKER,
        execArgv: [...WORKER_FLAGS, "--require", crash],
        onWorkerStarted: (pid) => pids.push(pid),
      }),
    );
    expect(printed(error)).toEqual({
      code: 1,
      text: `error: parallel plan: worker 2 of 2 (services ${generatedName(6)} to ${generatedName(11)}) stopped before finishing (exit code 7)\n`,
    });
    expect(pids).toHaveLength(2);
    expect(pids.filter(alive)).toEqual([]);
  }, 60_000);
});

describe("parallel plan pieces", () => {
  it("cuts the stack's services into contiguous slices balanced by count", () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(contiguousSlices(items, 3)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8, 9],
    ]);
    expect(contiguousSlices(items, 1)).toEqual([items]);
    expect(contiguousSlices([1, 2], 3)).toEqual([[1], [2]]);
    expect(contiguousSlices([], 3)).toEqual([]);
  });

  it("runs the workers with the plan's Node flags, with ts-node only for a TypeScript worker", () => {
    const tsNode = require.resolve("ts-node/register/transpile-only");
    const plan = ["--max-semi-space-size=128", "-r", "ts-node/register/transpile-only"];
    expect(workerExecArgv(plan, "/x/plan-worker.ts")).toEqual(plan);
    expect(workerExecArgv(["--max-semi-space-size=128"], "/x/plan-worker.js")).toEqual([
      "--max-semi-space-size=128",
    ]);
    // A compiled worker drops the parent's ts-node hook, and keeps every other preload.
    expect(workerExecArgv([...plan, "-r", "/x/crash.js"], "/x/plan-worker.js")).toEqual([
      "--max-semi-space-size=128",
      "-r",
      "/x/crash.js",
    ]);
    expect(
      workerExecArgv(
        ["--require", tsNode, "--require=/x/node_modules/ts-node/register/transpile-only.js"],
        "/x/plan-worker.js",
      ),
    ).toEqual([]);
    expect(workerExecArgv(["--inspect=9229", "--stack-size=2000"], "/x/plan-worker.ts")).toEqual([
      "--stack-size=2000",
      "--require",
      tsNode,
    ]);
    expect(workerModule()).toBe(
      path.join(__dirname, "..", "..", "offline", "plan", "plan-worker.ts"),
    );
  });

  it("carries a worker's error across the process boundary", () => {
    const catalog = new CatalogError([
      { file: "services/a.yaml", line: 3, field: "team", message: "must not be empty" },
      "stacks/Pulumi.dev.yaml: mlplatform:awsAccountId: wrong",
    ]);
    const back = failureError(structuredClone(describeFailure(catalog)));
    expect(back).toBeInstanceOf(CatalogError);
    expect((back as CatalogError).problems).toEqual(catalog.problems);
    expect((back as CatalogError).details).toEqual(catalog.details);
    const settings = failureError(describeFailure(new SettingsError(["x: y"])));
    expect(settings).toBeInstanceOf(SettingsError);
    expect((settings as SettingsError).problems).toEqual(["x: y"]);
    const input = failureError(describeFailure(new PlanInputError("unknown stack")));
    expect(input).toBeInstanceOf(PlanInputError);
    expect(input.message).toBe("unknown stack");
    const other = failureError(describeFailure(new TypeError("boom")));
    expect(other).not.toBeInstanceOf(PlanInputError);
    expect(other.message).toBe("boom");
    expect(failureError(describeFailure("text")).message).toBe("text");
  });
});
