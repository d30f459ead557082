/**
 * npm run bench -- [--sizes 10,100,500] [--stack dev] [--compare all|none|10,100] [--json FILE] [--check]
 *                  [--baseline REF [--runs N]]
 *
 * The scale benchmark: generates synthetic catalogs, plans each in a fresh process (peak memory
 * per run) with the offline-plan tuning and, for comparison, with the Pulumi SDK's defaults
 * (MLPLATFORM_SDK_DEFAULTS=1), then prints a Markdown table and the targets. `--check` exits 1
 * when a target is missed. Whatever the program declares is measured: no resource list here.
 * `--baseline REF` also plans each catalog with REF's code (bench/baseline.ts), N times each side,
 * interleaved with the working tree's runs, and prints the ratios.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { CommandSpec, parseCommandLine, printHelp, runMain, UsageError } from "../cli/command";
import { PLAN_NODE_FLAGS, SDK_DEFAULTS_ENV } from "../offline/plan/sdk-tuning";
import { Baseline, prepareBaseline, removeBaseline } from "./baseline";
import { tempDir, writeCatalog, writeStacks } from "./catalog-generator";
import type { ChildResult, ChildState } from "./plan-child";
import {
  BaselineRow,
  BenchRow,
  checkTargets,
  formatBaselineTable,
  formatChecks,
  formatTable,
  TimedRun,
} from "./report";

const CHILD = path.join(__dirname, "plan-child.ts");

function sizesFlag(value: string | undefined, fallback: number[], flag: string): number[] {
  if (value === undefined) return fallback;
  const sizes = value.split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    throw new UsageError(`--${flag} ${value}: expected comma-separated counts from 1 to 5000`);
  }
  return sizes;
}

/** --workers: the worker processes of the working tree's tuned plans (undefined: auto). */
export function workersFlag(value: string | undefined): number | undefined {
  if (value === undefined || value === "auto") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`--workers ${value}: expected auto or a count from 1 to 64`);
  }
  return n;
}

/** --runs: how many runs per side with --baseline. */
export function runsFlag(value: string | undefined, baseline: string | undefined): number {
  if (value === undefined) return 1;
  if (baseline === undefined) throw new UsageError(`--runs ${value}: only with --baseline REF`);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20) {
    throw new UsageError(`--runs ${value}: expected a count from 1 to 20`);
  }
  return n;
}

/**
 * The order of the side-by-side runs of one catalog: baseline, current, baseline, current...
 * (alternating, so a machine that slows down or speeds up weighs on both sides alike).
 */
export function interleaved(runs: number): ("baseline" | "current")[] {
  return Array.from({ length: runs }, () => ["baseline", "current"] as const).flat();
}

/** One run as measured: the child's two lines, and the wall time up to the first. */
export type MeasuredRun = ChildResult & ChildState & { wallMs: number };

/**
 * Runs one plan in a fresh Node process, as `npm run plan` runs (node flags; the child loads the
 * compiled program): this tree's child, or a baseline worktree's own (`child`, run from its
 * folder; a ref's child prints one line with everything). The wall time ends when the child has
 * printed its timed line: what it measures afterwards (the state) is not part of a plan.
 */
function runChild(
  servicesDir: string,
  stacksDir: string,
  stack: string,
  sdkDefaults: boolean,
  child: { script: string; cwd?: string; nodeFlags?: readonly string[] } = { script: CHILD },
  workers?: number,
): Promise<MeasuredRun> {
  const env = { ...process.env };
  if (sdkDefaults) env[SDK_DEFAULTS_ENV] = "1";
  else delete env[SDK_DEFAULTS_ENV];
  // bench/plan-child.ts: a fixed number of plan processes instead of `npm run plan`'s auto.
  if (workers !== undefined) env.MLPLATFORM_BENCH_WORKERS = String(workers);
  else delete env.MLPLATFORM_BENCH_WORKERS;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        // Tuned: node as `npm run plan` starts it (a baseline: as its own plan script did); SDK
        // defaults: a plain node.
        ...(sdkDefaults ? [] : (child.nodeFlags ?? PLAN_NODE_FLAGS)),
        "-r",
        "ts-node/register/transpile-only",
        child.script,
        servicesDir,
        stacksDir,
        stack,
      ],
      { env, stdio: ["ignore", "pipe", "pipe"], cwd: child.cwd },
    );
    let stdout = "";
    let stderr = "";
    let wallMs: number | undefined;
    const measured: Partial<MeasuredRun>[] = [];
    let pending = "";
    proc.stdout.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        stdout += `${line}\n`;
        const value = jsonObject(line);
        if (!value) continue;
        measured.push(value);
        if (wallMs === undefined && "planMs" in value) wallMs = performance.now() - started;
      }
    });
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) => {
      const last = jsonObject(pending);
      if (last) measured.push(last);
      if (code !== 0 || !measured.some((m) => "planMs" in m)) {
        reject(new Error(`benchmark run failed (exit ${code}):\n${`${stderr}${stdout}`.trim()}`));
        return;
      }
      resolve({
        ...(Object.assign({}, ...measured) as MeasuredRun),
        wallMs: wallMs ?? performance.now() - started,
      });
    });
  });
}

/** A line of the child's output that is a JSON object (a measurement), or undefined. */
function jsonObject(line: string): Partial<MeasuredRun> | undefined {
  if (!line.trim().startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Partial<MeasuredRun>;
  } catch {
    return undefined;
  }
}

/**
 * Compiles the project when a source is newer than dist/ (cli/build-if-stale.js, as `npm run
 * plan` does before it runs), so the child never plans with stale JavaScript.
 */
function buildIfStale(): void {
  const result = spawnSync(
    process.execPath,
    [path.join(__dirname, "..", "cli", "build-if-stale.js")],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  if (result.status !== 0) throw new Error("the build of dist/ failed (npm run build)");
}

export const BENCH_COMMAND = {
  command: "npm run bench --",
  summary: [
    "Plans generated catalogs of each size in a fresh process and prints the cost per service,",
    "the peak memory and the Pulumi state per service (docs/scale.md).",
  ].join("\n"),
  options: {
    sizes: {
      type: "string",
      value: "N,N",
      description: "catalog sizes to plan (services, 1 to 5000)",
      default: "10,100,500",
      example: "--sizes 10,100",
    },
    stack: {
      type: "string",
      value: "STACK",
      description: "the stack to plan",
      default: "dev",
      example: "--stack prod",
    },
    compare: {
      type: "string",
      value: "all|none|N,N",
      description: "sizes also planned with the Pulumi SDK's default settings",
      default: "all",
      example: "--compare 100",
    },
    json: {
      type: "string",
      value: "FILE",
      description: "also write the rows as JSON",
      default: "not written",
      example: "--json out/bench.json",
    },
    check: {
      type: "boolean",
      description: "exit 1 when a target is missed",
      default: "off",
      example: "--check",
    },
    baseline: {
      type: "string",
      value: "REF",
      description:
        "also run this git ref (in a temporary worktree), interleaved, and print the ratios",
      default: "none",
      example: "--baseline origin/main",
    },
    workers: {
      type: "string",
      value: "N",
      description:
        "plan processes of the working tree's runs (1: one process); the flatness targets need one count for every size",
      default: "auto (as npm run plan)",
      example: "--workers 1",
    },
    runs: {
      type: "string",
      value: "N",
      description: "runs per side with --baseline (medians)",
      default: "1",
      example: "--runs 3",
    },
  },
  exitCodes: "0 measured (1 with --check and a missed target), 2 usage error",
  examples: [
    "npm run bench -- --sizes 10,100 --compare none",
    "npm run bench -- --sizes 10,100,500 --baseline origin/main --check",
  ],
} as const satisfies CommandSpec;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(BENCH_COMMAND, argv);
  if (parsed === "help") return printHelp(BENCH_COMMAND);
  const flags = parsed.values;
  const sizes = sizesFlag(flags.sizes, [10, 100, 500], "sizes");
  const stack = flags.stack ?? "dev";
  const compareFlag = flags.compare ?? "all";
  const compare =
    compareFlag === "all"
      ? sizes
      : compareFlag === "none"
        ? []
        : sizesFlag(compareFlag, [], "compare");
  const ref = flags.baseline;
  const runs = runsFlag(flags.runs, ref);
  const workers = workersFlag(flags.workers);

  buildIfStale();
  const root = tempDir("mlplatform-bench");
  const rows: BenchRow[] = [];
  const sideBySide: BaselineRow[] = [];
  let baseline: Baseline | undefined;
  try {
    if (ref !== undefined) {
      process.stderr.write(`baseline ${ref}: git worktree...`);
      baseline = prepareBaseline(ref);
      process.stderr.write(` ${baseline.sha.slice(0, 12)} in ${baseline.dir}\n`);
    }
    const stacksDir = path.join(root, "stacks");
    writeStacks(stacksDir, ["dev", "prod"]);
    for (const size of sizes) {
      const servicesDir = path.join(root, `services-${size}`);
      writeCatalog(servicesDir, size);
      let tuned: MeasuredRun | undefined;
      if (baseline) {
        const pair: BaselineRow = { size, baseline: [], current: [] };
        for (const side of interleaved(runs)) {
          process.stderr.write(
            `${size} services: ${side === "baseline" ? ref : "current"} plan...`,
          );
          const timed =
            side === "baseline"
              ? await runChild(servicesDir, stacksDir, stack, false, {
                  script: baseline.child,
                  cwd: baseline.dir,
                  nodeFlags: baseline.nodeFlags,
                })
              : await runChild(servicesDir, stacksDir, stack, false, undefined, workers);
          process.stderr.write(` ${(timed.wallMs / 1000).toFixed(1)} s\n`);
          const kept: TimedRun = {
            planMs: timed.planMs,
            wallMs: timed.wallMs,
            maxRssBytes: timed.maxRssBytes,
          };
          if (side === "baseline") pair.baseline.push(kept);
          else {
            pair.current.push(kept);
            tuned ??= timed;
          }
        }
        sideBySide.push(pair);
      } else {
        process.stderr.write(`${size} services: tuned plan...`);
        tuned = await runChild(servicesDir, stacksDir, stack, false, undefined, workers);
        process.stderr.write(` ${(tuned.wallMs / 1000).toFixed(1)} s\n`);
      }
      let defaults: BenchRow["defaults"];
      if (compare.includes(size)) {
        process.stderr.write(`${size} services: SDK-defaults plan...`);
        defaults = await runChild(servicesDir, stacksDir, stack, true);
        process.stderr.write(` ${(defaults.wallMs / 1000).toFixed(1)} s\n`);
      }
      rows.push({
        size,
        tuned: tuned!,
        defaults,
        stateBytesPerService: tuned!.stateBytesPerService,
      });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
    if (baseline) removeBaseline(baseline);
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB memory, Node ${process.version}, stack ${stack}`;
  const compared = baseline ? { ref: ref!, rows: sideBySide } : undefined;
  const checks = checkTargets(rows, undefined, compared);
  const side = baseline
    ? `\nSide by side with ${ref} (${baseline.sha.slice(0, 12)}), runs interleaved; speed-up = ${ref} time / current time:\n\n${formatBaselineTable(sideBySide, ref!)}\n`
    : "";
  process.stdout.write(`${machine}\n\n${formatTable(rows)}\n${side}\n${formatChecks(checks)}\n`);
  const jsonFile = flags.json;
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    const report = {
      machine,
      rows,
      ...(baseline ? { baseline: { ref, sha: baseline.sha, rows: sideBySide } } : {}),
      checks,
    };
    fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  }
  return flags.check && checks.some((c) => !c.ok) ? 1 : 0;
}

if (require.main === module) runMain(BENCH_COMMAND, main);
