/** The benchmark's table and its targets, as pure functions of the measured runs. */
import type { ChildResult } from "./plan-child";

/** One catalog size: the tuned run, and the SDK-defaults run when it was measured. */
export interface BenchRow {
  size: number;
  tuned: ChildResult & { wallMs: number };
  defaults?: ChildResult & { wallMs: number };
}

export interface Targets {
  /** Largest catalog: wall seconds of the whole run (process start to exit). */
  maxWallSeconds: number;
  /** Largest catalog: peak resident memory. */
  maxPeakBytes: number;
  /** Plan ms per service of a larger catalog may exceed the smallest catalog's by at most this. */
  maxPerServiceSpread: number;
  /** The tuned plan must be at least this many times faster than the SDK-defaults plan. */
  minSpeedup: number;
}

export const TARGETS: Targets = {
  maxWallSeconds: 20,
  maxPeakBytes: 2 * 1024 ** 3,
  maxPerServiceSpread: 0.25,
  minSpeedup: 3,
};

export interface TargetCheck {
  target: string;
  measured: string;
  ok: boolean;
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

/** Each target with what was measured; the largest catalog is the one the absolute targets apply to. */
export function checkTargets(rows: BenchRow[], targets: Targets = TARGETS): TargetCheck[] {
  if (rows.length === 0) return [];
  const largest = rows.reduce((a, b) => (b.size > a.size ? b : a));
  const checks: TargetCheck[] = [
    {
      target: `${largest.tuned.services} services planned in under ${targets.maxWallSeconds} s`,
      measured: `${(largest.tuned.wallMs / 1000).toFixed(1)} s`,
      ok: largest.tuned.wallMs < targets.maxWallSeconds * 1000,
    },
    {
      target: `peak memory under ${(targets.maxPeakBytes / MB).toFixed(0)} MB`,
      measured: `${(largest.tuned.maxRssBytes / MB).toFixed(0)} MB`,
      ok: largest.tuned.maxRssBytes < targets.maxPeakBytes,
    },
  ];
  if (rows.length > 1) {
    // Growth, not warm-up: the smallest catalog carries the fixed cost (JIT, providers) alone.
    const bySize = [...rows].sort((a, b) => a.size - b.size);
    const per = bySize.map((r) => perService(r.tuned));
    const growth = Math.max(...per) / per[0] - 1;
    checks.push({
      target: `plan ms per service flat within ${(targets.maxPerServiceSpread * 100).toFixed(0)} % of the smallest catalog's`,
      measured: `${per.map((p) => p.toFixed(1)).join(" / ")} ms (largest ${growth > 0 ? "+" : ""}${(growth * 100).toFixed(0)} %)`,
      ok: growth <= targets.maxPerServiceSpread,
    });
    // Marginal cost: what the services added between two sizes cost, each; flat means linear.
    const marginal = addedPerService(bySize).filter((m): m is number => m !== undefined);
    if (marginal.length > 1) {
      const spread = Math.max(...marginal) / Math.min(...marginal) - 1;
      checks.push({
        target: `added ms per service flat within ${(targets.maxPerServiceSpread * 100).toFixed(0)} % from step to step`,
        measured: `${bySize
          .slice(1)
          .map((r, i) => `${bySize[i].size}->${r.size}: ${marginal[i].toFixed(1)}`)
          .join(", ")} ms (spread ${(spread * 100).toFixed(0)} %)`,
        ok: spread <= targets.maxPerServiceSpread,
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
  return checks.map((c) => `${c.ok ? "ok  " : "MISS"}  ${c.target}: ${c.measured}`).join("\n");
}
