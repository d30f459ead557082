/** The benchmark's table and its targets, as pure functions of the measured runs. */
import type { ChildResult } from "./plan-child";

/** One catalog size: the tuned run, and the SDK-defaults run when it was measured. */
export interface BenchRow {
  size: number;
  tuned: ChildResult & { wallMs: number };
  defaults?: ChildResult & { wallMs: number };
  /** Pulumi state bytes per service of the tuned run (bench/state-size.ts). */
  stateBytesPerService: number;
}

export interface Targets {
  /** Largest catalog: how many times faster than the baseline, side by side (wall time). */
  minBaselineSpeedup: number;
  /** Largest catalog: peak resident memory. */
  maxPeakBytes: number;
  /** Plan ms per service of a larger catalog may exceed the smallest catalog's by at most this. */
  maxPerServiceSpread: number;
  /** The tuned plan must be at least this many times faster than the SDK-defaults plan. */
  minSpeedup: number;
}

/**
 * The largest catalog (500 services in docs/scale.md) planned 2x faster than the main branch,
 * measured side by side (`--baseline main`), under 2 GB; absolute seconds depend on the machine.
 */
export const TARGETS: Targets = {
  minBaselineSpeedup: 2,
  maxPeakBytes: 2 * 1024 ** 3,
  maxPerServiceSpread: 0.25,
  minSpeedup: 3,
};

export interface TargetCheck {
  target: string;
  measured: string;
  ok: boolean;
  /** Not measured by this run (e.g. no --baseline): reported, never a miss. */
  skipped?: boolean;
}

/** One run's timings, as the side-by-side comparison uses them. */
export interface TimedRun {
  planMs: number;
  wallMs: number;
  maxRssBytes: number;
}

/** One catalog size measured on the baseline and on the working tree, runs interleaved. */
export interface BaselineRow {
  size: number;
  baseline: TimedRun[];
  current: TimedRun[];
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Baseline over current, from the medians of each side's runs: for times, how many times faster
 * the working tree is (2.0 = twice as fast); for memory, the working tree's peak over the
 * baseline's (0.5 = half).
 */
export function baselineRatios(row: BaselineRow): { plan: number; wall: number; peak: number } {
  const m = (runs: TimedRun[], key: keyof TimedRun) => median(runs.map((r) => r[key]));
  return {
    plan: m(row.baseline, "planMs") / m(row.current, "planMs"),
    wall: m(row.baseline, "wallMs") / m(row.current, "wallMs"),
    peak: m(row.current, "maxRssBytes") / m(row.baseline, "maxRssBytes"),
  };
}

/** The side-by-side table (Markdown): medians per side and the ratios. */
export function formatBaselineTable(rows: BaselineRow[], ref: string): string {
  const header = [
    "services",
    "runs",
    `${ref} wall s`,
    "current wall s",
    "wall speed-up",
    `${ref} plan s`,
    "current plan s",
    "plan speed-up",
    `${ref} peak MB`,
    "current peak MB",
    "peak ratio",
  ];
  const lines = rows.map((r) => {
    const ratio = baselineRatios(r);
    const m = (runs: TimedRun[], key: keyof TimedRun) => median(runs.map((x) => x[key]));
    return [
      String(r.size),
      String(Math.min(r.baseline.length, r.current.length)),
      (m(r.baseline, "wallMs") / 1000).toFixed(1),
      (m(r.current, "wallMs") / 1000).toFixed(1),
      `${ratio.wall.toFixed(2)}x`,
      (m(r.baseline, "planMs") / 1000).toFixed(2),
      (m(r.current, "planMs") / 1000).toFixed(2),
      `${ratio.plan.toFixed(2)}x`,
      (m(r.baseline, "maxRssBytes") / MB).toFixed(0),
      (m(r.current, "maxRssBytes") / MB).toFixed(0),
      ratio.peak.toFixed(2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [
    row(header, widths),
    `|${widths.map((w) => `${"-".repeat(w + 1)}:`).join("|")}|`,
    ...lines.map((l) => row(l, widths)),
  ].join("\n");
}

const MB = 1024 ** 2;

export function perService(run: ChildResult): number {
  return run.planMs / Math.max(1, run.services);
}

export function perResource(run: ChildResult): number {
  return run.planMs / Math.max(1, run.resources);
}

/**
 * What each further service costs: plan time added since the next smaller catalog, per service
 * added. Undefined for the smallest catalog. Flat when no step grows faster than the catalog.
 */
export function addedPerService(rows: BenchRow[]): (number | undefined)[] {
  const bySize = [...rows].sort((a, b) => a.size - b.size);
  return rows.map((r) => {
    const i = bySize.indexOf(r);
    if (i === 0) return undefined;
    const prev = bySize[i - 1].tuned;
    const added = r.tuned.services - prev.services;
    return added > 0 ? (r.tuned.planMs - prev.planMs) / added : undefined;
  });
}

/** Plan time of the SDK-defaults run over the tuned run's. */
export function speedup(row: BenchRow): number | undefined {
  return row.defaults && row.defaults.planMs / row.tuned.planMs;
}

function row(cells: string[], widths: number[]): string {
  return `| ${cells.map((c, i) => c.padStart(widths[i])).join(" | ")} |`;
}

/** The table the benchmark prints (Markdown, so it pastes into docs/scale.md as is). */
export function formatTable(rows: BenchRow[]): string {
  const header = [
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
  ];
  const added = addedPerService(rows);
  const lines = rows.map((r, i) => {
    const t = r.tuned;
    const d = r.defaults;
    const s = speedup(r);
    return [
      String(t.services),
      String(t.resources),
      (t.wallMs / 1000).toFixed(1),
      (t.planMs / 1000).toFixed(2),
      perService(t).toFixed(1),
      added[i] === undefined ? "-" : added[i]!.toFixed(1),
      perResource(t).toFixed(2),
      (t.validateMs / Math.max(1, t.catalog)).toFixed(2),
      ((t.diffMs + t.formatMs) / Math.max(1, t.services)).toFixed(2),
      (t.maxRssBytes / MB).toFixed(0),
      (r.stateBytesPerService / 1024).toFixed(1),
      d ? (d.planMs / 1000).toFixed(2) : "-",
      d ? (d.maxRssBytes / MB).toFixed(0) : "-",
      s ? `${s.toFixed(1)}x` : "-",
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  return [
    row(header, widths),
    `|${widths.map((w) => `${"-".repeat(w + 1)}:`).join("|")}|`,
    ...lines.map((l) => row(l, widths)),
  ].join("\n");
}

/**
 * Each target with what was measured; the largest catalog is the one the absolute targets apply
 * to. The side-by-side target needs `baseline` (rows of --baseline), and is skipped without it.
 */
export function checkTargets(
  rows: BenchRow[],
  targets: Targets = TARGETS,
  baseline?: { ref: string; rows: BaselineRow[] },
): TargetCheck[] {
  if (rows.length === 0) return [];
  const largest = rows.reduce((a, b) => (b.size > a.size ? b : a));
  const side = baseline?.rows.find((r) => r.size === largest.size);
  const sideBySide = `${largest.tuned.services} services at least ${targets.minBaselineSpeedup}x faster than ${baseline?.ref ?? "the baseline"}, side by side (wall time)`;
  const checks: TargetCheck[] = [
    side
      ? {
          target: sideBySide,
          measured: `${baselineRatios(side).wall.toFixed(2)}x`,
          ok: baselineRatios(side).wall >= targets.minBaselineSpeedup,
        }
      : {
          target: sideBySide,
          measured: "not measured: run with --baseline main",
          ok: true,
          skipped: true,
        },
    {
      target: `peak memory under ${(targets.maxPeakBytes / MB).toFixed(0)} MB`,
      measured: `${(largest.tuned.maxRssBytes / MB).toFixed(0)} MB`,
      ok: largest.tuned.maxRssBytes < targets.maxPeakBytes,
    },
  ];
  const counts = [...new Set(rows.map((r) => r.tuned.workers ?? 1))].sort((a, b) => a - b);
  if (rows.length > 1 && counts.length > 1) {
    // Sizes planned over different numbers of processes: the wall time per service then measures
    // the parallelism, not how the cost grows. Not compared; --workers N fixes the count.
    for (const target of [
      `plan ms per service flat within ${(targets.maxPerServiceSpread * 100).toFixed(0)} % of the smallest catalog's`,
      `added ms per service grows at most ${(targets.maxPerServiceSpread * 100).toFixed(0)} % from step to step`,
    ]) {
      checks.push({
        target,
        measured: `not comparable: the sizes were planned over ${counts.join(" and ")} processes (run with --workers 1)`,
        ok: true,
        skipped: true,
      });
    }
  } else if (rows.length > 1) {
    // Growth, not warm-up: the smallest catalog carries the fixed cost (JIT, providers) alone.
    const bySize = [...rows].sort((a, b) => a.size - b.size);
    const per = bySize.map((r) => perService(r.tuned));
    const growth = Math.max(...per) / per[0] - 1;
    checks.push({
      target: `plan ms per service flat within ${(targets.maxPerServiceSpread * 100).toFixed(0)} % of the smallest catalog's`,
      measured: `${per.map((p) => p.toFixed(1)).join(" / ")} ms (largest ${growth > 0 ? "+" : ""}${(growth * 100).toFixed(0)} %)`,
      ok: growth <= targets.maxPerServiceSpread,
    });
    // Marginal cost: what the services added between two sizes cost, each. Linear (or better)
    // means no step costs more per service than the step before: a later step may cost less (the
    // JIT still warming up in the first steps), never more than the allowed growth.
    const marginal = addedPerService(bySize).filter((m): m is number => m !== undefined);
    if (marginal.length > 1) {
      const steps = marginal.slice(1).map((m, i) => m / marginal[i] - 1);
      const worst = Math.max(...steps);
      checks.push({
        target: `added ms per service grows at most ${(targets.maxPerServiceSpread * 100).toFixed(0)} % from step to step`,
        measured: `${bySize
          .slice(1)
          .map((r, i) => `${bySize[i].size}->${r.size}: ${marginal[i].toFixed(1)}`)
          .join(", ")} ms (largest step ${worst > 0 ? "+" : ""}${(worst * 100).toFixed(0)} %)`,
        ok: worst <= targets.maxPerServiceSpread,
      });
    }
  }
  const compared = rows.filter((r) => r.defaults);
  if (compared.length > 0) {
    const slowest = compared.reduce((a, b) => (speedup(b)! < speedup(a)! ? b : a));
    checks.push({
      target: `at least ${targets.minSpeedup}x faster than the SDK defaults`,
      measured: compared.map((r) => `${r.size}: ${speedup(r)!.toFixed(1)}x`).join(", "),
      ok: speedup(slowest)! >= targets.minSpeedup,
    });
  }
  return checks;
}

export function formatChecks(checks: TargetCheck[]): string {
  return checks
    .map((c) => `${c.skipped ? "skip" : c.ok ? "ok  " : "MISS"}  ${c.target}: ${c.measured}`)
    .join("\n");
}
