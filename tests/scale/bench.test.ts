/** The benchmark's catalog generator and its target checks (no timing here: numbers are given). */
import * as fs from "fs";
import * as path from "path";
import {
  generatedEnvironments,
  GENERATED_TEAMS,
  tempDir,
  writeCatalog,
  writeStacks,
} from "../../bench/catalog-generator";
import type { ChildResult } from "../../bench/plan-child";
import { BenchRow, checkTargets, formatTable } from "../../bench/report";
import { loadCatalog } from "../../lib/catalog/load";
import { stacksOrThrow } from "../../lib/plan/run";

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

function run(services: number, planMs: number, maxRssMb: number): ChildResult & { wallMs: number } {
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
    sdkDefaults: false,
    wallMs: planMs + 1000,
  };
}

describe("the benchmark's targets", () => {
  const rows: BenchRow[] = [
    { size: 10, tuned: run(10, 300, 200), defaults: run(10, 2000, 260) },
    { size: 100, tuned: run(100, 2500, 600), defaults: run(100, 20000, 1200) },
    { size: 500, tuned: run(500, 14000, 1500) },
  ];

  it("passes when every target is met", () => {
    expect(checkTargets(rows)).toEqual([
      { target: "500 services planned in under 20 s", measured: "15.0 s", ok: true },
      { target: "peak memory under 2048 MB", measured: "1500 MB", ok: true },
      {
        target: "plan ms per service flat within 25 % of the smallest catalog's",
        measured: "30.0 / 25.0 / 28.0 ms (largest 0 %)",
        ok: true,
      },
      {
        // (2500 - 300) / 90 and (14000 - 2500) / 400.
        target: "added ms per service flat within 25 % from step to step",
        measured: "10->100: 24.4, 100->500: 28.8 ms (spread 18 %)",
        ok: true,
      },
      {
        target: "at least 3x faster than the SDK defaults",
        measured: "10: 6.7x, 100: 8.0x",
        ok: true,
      },
    ]);
  });

  it("misses growth, memory, time and speed-up when measured so", () => {
    const slow: BenchRow[] = [
      { size: 10, tuned: run(10, 300, 200), defaults: run(10, 600, 200) },
      { size: 500, tuned: run(500, 20000, 2100) },
    ];
    expect(checkTargets(slow).map((c) => [c.measured, c.ok])).toEqual([
      ["21.0 s", false],
      ["2100 MB", false],
      ["30.0 / 40.0 ms (largest +33 %)", false],
      ["10: 2.0x", false],
    ]);
  });

  it("misses a step whose added cost per service grows faster than the catalog", () => {
    const superlinear: BenchRow[] = [
      { size: 10, tuned: run(10, 300, 200) },
      { size: 100, tuned: run(100, 2100, 600) },
      { size: 500, tuned: run(500, 15000, 1500) },
    ];
    expect(checkTargets(superlinear)[3]).toEqual({
      target: "added ms per service flat within 25 % from step to step",
      measured: "10->100: 20.0, 100->500: 32.3 ms (spread 61 %)",
      ok: false,
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
      "-",
      "-",
      "-",
      "",
    ]);
  });
});
