/** The benchmark's catalog generator and its target checks (no timing here: numbers are given). */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  generatedEnvironments,
  GENERATED_TEAMS,
  tempDir,
  writeCatalog,
  writeStacks,
} from "../../bench/catalog-generator";
import type { ChildResult, ChildState } from "../../bench/plan-child";
import { planNodeFlags, PROJECT_ROOT, prepareBaseline } from "../../bench/baseline";
import { PLAN_NODE_FLAGS } from "../../offline/plan/sdk-tuning";
import {
  BaselineRow,
  baselineRatios,
  BenchRow,
  checkTargets,
  formatBaselineTable,
  formatChecks,
  formatTable,
  median,
  TimedRun,
} from "../../bench/report";
import { interleaved, runsFlag, workersFlag } from "../../bench/run";
import { loadCatalog } from "../../catalog/load";
import { stacksOrThrow } from "../../offline/plan/run";

describe("the synthetic catalog", () => {
  it("writes valid entries with the variety of a real catalog", () => {
    const root = tempDir("generator");
    try {
      writeCatalog(path.join(root, "services"), 60);
      writeStacks(path.join(root, "stacks"), ["dev", "prod"]);
      const catalog = loadCatalog(
        path.join(root, "services"),
        stacksOrThrow(path.join(root, "stacks")),
      );
      const entries = catalog.map((f) => f.entry);
      expect(entries).toHaveLength(60);
      const count = (pred: (e: (typeof entries)[number]) => boolean) => entries.filter(pred).length;
      expect(count((e) => e.template === "sklearn")).toBe(30);
      expect(count((e) => e.template === "pyspark")).toBe(30);
      expect(count((e) => e.batchPrediction !== undefined)).toBe(30);
      expect(count((e) => e.environments.includes("prod"))).toBe(40);
      expect(count((e) => e.training.schedule !== undefined)).toBe(45);
      expect(count((e) => e.notifications.emails.length > 0)).toBe(40);
      expect(count((e) => e.repository.visibility === "internal")).toBe(10);
      expect(new Set(entries.map((e) => e.team))).toEqual(new Set(GENERATED_TEAMS));
      expect(entries.map((e) => e.environments)).toEqual(
        Array.from({ length: 60 }, (_, i) => generatedEnvironments(i)),
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it("writes shards as copies of a stack with the shard settings set", () => {
    const root = tempDir("generator-stacks");
    try {
      writeStacks(root, ["dev"], [{ stack: "prod-a", from: "prod", shardTeams: ["alpha"] }]);
      const stacks = stacksOrThrow(root);
      expect(stacks.map((s) => s.stack)).toEqual(["dev", "prod-a"]);
      const prod = stacksOrThrow().find((s) => s.stack === "prod")!;
      expect(stacks[1].settings).toEqual({
        ...prod.settings,
        stack: "prod-a",
        shardTeams: ["alpha"],
      });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

function run(
  services: number,
  planMs: number,
  maxRssMb: number,
): ChildResult & ChildState & { wallMs: number } {
  return {
    catalog: services,
    services,
    resources: services * 40,
    registrations: services * 50,
    validateMs: services,
    planMs,
    diffMs: 0,
    formatMs: 0,
    maxRssBytes: maxRssMb * 1024 ** 2,
    stateBytes: services * 12_000 + 9_000,
    stateBytesPerService: 12_000,
    sdkDefaults: false,
    wallMs: planMs + 1000,
  };
}

/** A row as the benchmark records it: the tuned run's state size on the row. */
function benchRow(
  size: number,
  tuned: ChildResult & ChildState & { wallMs: number },
  defaults?: typeof tuned,
) {
  return { size, tuned, defaults, stateBytesPerService: tuned.stateBytesPerService };
}

describe("the benchmark's targets", () => {
  const rows: BenchRow[] = [
    benchRow(10, run(10, 300, 200), run(10, 2000, 260)),
    benchRow(100, run(100, 2500, 600), run(100, 20000, 1200)),
    benchRow(500, run(500, 14000, 1500)),
  ];

  it("passes when every target is met", () => {
    expect(checkTargets(rows)).toEqual([
      {
        target: "500 services at least 2x faster than the baseline, side by side (wall time)",
        measured: "not measured: run with --baseline main",
        ok: true,
        skipped: true,
      },
      { target: "peak memory under 2048 MB", measured: "1500 MB", ok: true },
      {
        target: "plan ms per service flat within 25 % of the smallest catalog's",
        measured: "30.0 / 25.0 / 28.0 ms (largest 0 %)",
        ok: true,
      },
      {
        // (2500 - 300) / 90 and (14000 - 2500) / 400.
        target: "added ms per service grows at most 25 % from step to step",
        measured: "10->100: 24.4, 100->500: 28.8 ms (largest step +18 %)",
        ok: true,
      },
      {
        target: "at least 3x faster than the SDK defaults",
        measured: "10: 6.7x, 100: 8.0x",
        ok: true,
      },
    ]);
  });

  it("does not compare the cost per service of sizes planned over different process counts", () => {
    const mixed = rows.map((r) =>
      r.size === 500 ? { ...r, tuned: { ...r.tuned, workers: 2 } } : r,
    );
    const flatness = checkTargets(mixed).filter((c) => c.target.includes("per service"));
    expect(flatness).toEqual([
      {
        target: "plan ms per service flat within 25 % of the smallest catalog's",
        measured:
          "not comparable: the sizes were planned over 1 and 2 processes (run with --workers 1)",
        ok: true,
        skipped: true,
      },
      {
        target: "added ms per service grows at most 25 % from step to step",
        measured:
          "not comparable: the sizes were planned over 1 and 2 processes (run with --workers 1)",
        ok: true,
        skipped: true,
      },
    ]);
    // One count for every size (here 2): compared as usual.
    const same = rows.map((r) => ({ ...r, tuned: { ...r.tuned, workers: 2 } }));
    expect(
      checkTargets(same)
        .filter((c) => c.target.includes("per service"))
        .map((c) => c.ok),
    ).toEqual([true, true]);
  });

  it("takes --workers auto or a count from 1 to 64", () => {
    expect(workersFlag(undefined)).toBeUndefined();
    expect(workersFlag("auto")).toBeUndefined();
    expect(workersFlag("1")).toBe(1);
    expect(workersFlag("64")).toBe(64);
    for (const bad of ["0", "65", "1.5", "two", ""]) {
      expect(() => workersFlag(bad)).toThrow(
        `--workers ${bad}: expected auto or a count from 1 to 64`,
      );
    }
  });

  it("misses growth, memory, time and speed-up when measured so", () => {
    const slow: BenchRow[] = [
      benchRow(10, run(10, 300, 200), run(10, 600, 200)),
      benchRow(500, run(500, 20000, 2100)),
    ];
    expect(checkTargets(slow).map((c) => [c.measured, c.ok])).toEqual([
      ["not measured: run with --baseline main", true],
      ["2100 MB", false],
      ["30.0 / 40.0 ms (largest +33 %)", false],
      ["10: 2.0x", false],
    ]);
  });

  it("misses a step whose added cost per service grows faster than the catalog", () => {
    const superlinear: BenchRow[] = [
      benchRow(10, run(10, 300, 200)),
      benchRow(100, run(100, 2100, 600)),
      benchRow(500, run(500, 15000, 1500)),
    ];
    expect(checkTargets(superlinear)[3]).toEqual({
      target: "added ms per service grows at most 25 % from step to step",
      measured: "10->100: 20.0, 100->500: 32.3 ms (largest step +61 %)",
      ok: false,
    });
  });

  it("accepts a later step that costs less per service than the one before", () => {
    const warming: BenchRow[] = [
      benchRow(10, run(10, 1100, 200)),
      benchRow(100, run(100, 3800, 500)),
      benchRow(500, run(500, 11200, 900)),
    ];
    expect(checkTargets(warming)[3]).toEqual({
      target: "added ms per service grows at most 25 % from step to step",
      measured: "10->100: 30.0, 100->500: 18.5 ms (largest step -38 %)",
      ok: true,
    });
  });

  it("prints one Markdown row per catalog size", () => {
    const lines = formatTable(rows).split("\n");
    expect(lines).toHaveLength(5);
    expect(lines[0].split("|").map((c) => c.trim())).toEqual([
      "",
      "services",
      "resources",
      "wall s",
      "plan s",
      "ms/service",
      "added ms/svc",
      "ms/resource",
      "validate ms/svc",
      "diff+format ms/svc",
      "peak MB",
      "state KB/svc",
      "defaults plan s",
      "defaults peak MB",
      "speed-up",
      "",
    ]);
    expect(lines[4].split("|").map((c) => c.trim())).toEqual([
      "",
      "500",
      "20000",
      "15.0",
      "14.00",
      "28.0",
      "28.8",
      "0.70",
      "1.00",
      "0.00",
      "1500",
      "11.7",
      "-",
      "-",
      "-",
      "",
    ]);
  });
});

describe("the side-by-side baseline", () => {
  const timed = (wallS: number, planS: number, peakMb: number): TimedRun => ({
    wallMs: wallS * 1000,
    planMs: planS * 1000,
    maxRssBytes: peakMb * 1024 ** 2,
  });
  const pair: BaselineRow = {
    size: 500,
    // Medians: baseline 40 s wall, 36 s plan, 1200 MB; current 18 s, 15 s, 900 MB.
    baseline: [timed(40, 36, 1200), timed(44, 38, 1300), timed(39, 35, 1100)],
    current: [timed(18, 15, 900), timed(30, 27, 950), timed(17, 14, 800)],
  };

  it("takes medians per side and divides baseline by current", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow("median of no values");
    const r = baselineRatios(pair);
    expect(r.wall).toBeCloseTo(40 / 18, 10);
    expect(r.plan).toBeCloseTo(36 / 15, 10);
    expect(r.peak).toBeCloseTo(900 / 1200, 10);
  });

  it("alternates baseline and current runs", () => {
    expect(interleaved(1)).toEqual(["baseline", "current"]);
    expect(interleaved(3)).toEqual([
      "baseline",
      "current",
      "baseline",
      "current",
      "baseline",
      "current",
    ]);
  });

  it("checks the 2x target on the largest catalog, and misses it when slower", () => {
    const rows = [benchRow(10, run(10, 300, 200)), benchRow(500, run(500, 14000, 1500))];
    expect(checkTargets(rows, undefined, { ref: "main", rows: [pair] })[0]).toEqual({
      target: "500 services at least 2x faster than main, side by side (wall time)",
      measured: "2.22x",
      ok: true,
    });
    const slower: BaselineRow = {
      size: 500,
      baseline: [timed(30, 25, 1000)],
      current: pair.current,
    };
    const miss = checkTargets(rows, undefined, { ref: "main", rows: [slower] })[0];
    expect(miss).toEqual({
      target: "500 services at least 2x faster than main, side by side (wall time)",
      measured: "1.67x",
      ok: false,
    });
    expect(formatChecks([miss])).toBe(
      "MISS  500 services at least 2x faster than main, side by side (wall time): 1.67x",
    );
    expect(formatChecks(checkTargets(rows).slice(0, 1))).toBe(
      "skip  500 services at least 2x faster than the baseline, side by side (wall time): not measured: run with --baseline main",
    );
  });

  it("prints the medians and ratios per size", () => {
    const lines = formatBaselineTable([pair], "main").split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2].split("|").map((c) => c.trim())).toEqual([
      "",
      "500",
      "3",
      "40.0",
      "18.0",
      "2.22x",
      "36.00",
      "15.00",
      "2.40x",
      "1200",
      "900",
      "0.75",
      "",
    ]);
    expect(lines[0]).toContain("main wall s");
  });

  it("refuses --runs without --baseline and out of range", () => {
    expect(runsFlag(undefined, undefined)).toBe(1);
    expect(runsFlag("3", "main")).toBe(3);
    expect(() => runsFlag("3", undefined)).toThrow("--runs 3: only with --baseline REF");
    expect(() => runsFlag("0", "main")).toThrow("--runs 0: expected a count from 1 to 20");
    expect(() => runsFlag("2.5", "main")).toThrow("--runs 2.5: expected a count from 1 to 20");
  });

  it("refuses a ref that is not a commit, naming the flag, without a worktree", () => {
    const before = fs
      .readdirSync(os.tmpdir())
      .filter((f) => f.startsWith("mlplatform-bench-baseline-"));
    expect(() => prepareBaseline("no-such-ref-7c1e")).toThrow(
      `--baseline no-such-ref-7c1e: not a commit of the repository in ${PROJECT_ROOT} (a branch, tag or sha is expected)`,
    );
    expect(() => prepareBaseline("--all")).toThrow('--baseline "--all": expected a git ref');
    const after = fs
      .readdirSync(os.tmpdir())
      .filter((f) => f.startsWith("mlplatform-bench-baseline-"));
    expect(after).toEqual(before);
  });

  it("runs a baseline with the Node flags of its own plan script", () => {
    const pkg = (plan: unknown) => JSON.stringify({ scripts: { plan } });
    // 8a2ba9a's plan script, and this tree's.
    expect(
      planNodeFlags(
        pkg("node --max-semi-space-size=128 -r ts-node/register/transpile-only cli/plan.ts"),
      ),
    ).toEqual(["--max-semi-space-size=128"]);
    expect(planNodeFlags(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"))).toEqual(
      [...PLAN_NODE_FLAGS],
    );
    expect(planNodeFlags(pkg("ts-node --transpile-only cli/plan.ts"))).toEqual([]);
    expect(planNodeFlags(pkg("node dist/cli/plan.js"))).toEqual([]);
    expect(planNodeFlags(JSON.stringify({ scripts: {} }))).toEqual([]);
    expect(planNodeFlags("not json")).toEqual([]);
  });

  it("removes the worktree when the ref has no benchmark", () => {
    const calls: string[][] = [];
    const git = (args: string[]) => {
      calls.push(args);
      if (args[0] === "rev-parse") return "a".repeat(40);
      if (args[0] === "worktree" && args[1] === "add") fs.mkdirSync(args[3], { recursive: true });
      return "";
    };
    expect(() => prepareBaseline("old", PROJECT_ROOT, git)).toThrow(
      "--baseline old: commit aaaaaaaaaaaa has no bench/plan-child.ts, so it cannot be benchmarked side by side (choose a later commit)",
    );
    const dir = calls.find((c) => c[1] === "add")![3];
    expect(calls.map((c) => c.slice(0, 2).join(" "))).toEqual([
      "rev-parse --verify",
      "worktree add",
      "worktree remove",
      "worktree prune",
    ]);
    expect(calls[2]).toEqual(["worktree", "remove", "--force", dir]);
    expect(fs.existsSync(dir)).toBe(false);
  });
});
