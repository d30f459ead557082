/**
 * One benchmark run in its own process (so peak memory is this run's alone): validates the whole
 * catalog, plans one stack with the real program, diffs the plan against itself and formats it,
 * timing each step, and prints one JSON line of measurements on stdout.
 *
 * ts-node --transpile-only bench/plan-child.ts <servicesDir> <stacksDir> <stack>
 * MLPLATFORM_SDK_DEFAULTS=1 runs the plan with the Pulumi SDK's default settings.
 */
import { performance } from "perf_hooks";
import { loadCatalog } from "../lib/catalog/load";
import { diffPlans } from "../lib/plan/diff";
import { formatDiff, formatMarkdown, formatPlan } from "../lib/plan/format";
import { runPlan, stacksOrThrow } from "../lib/plan/run";
import { sdkDefaultsRequested } from "../lib/plan/sdk-tuning";

export interface ChildResult {
  /** Entries in the catalog (all validated). */
  catalog: number;
  /** Services the stack deploys. */
  services: number;
  /** Cloud resources (what `pulumi up` would create), as the plan summary counts them. */
  resources: number;
  /** Every registration, components included. */
  registrations: number;
  /** Reading the stack files and loading + validating the whole catalog. */
  validateMs: number;
  /** The program under the mock engine, up to the finished plan document (policies included). */
  planMs: number;
  /** Diffing the plan against a base (itself: every resource compared). */
  diffMs: number;
  /** Text, Markdown and JSON renderings of the plan. */
  formatMs: number;
  /** Peak resident set size of this process, in bytes. */
  maxRssBytes: number;
  sdkDefaults: boolean;
}

function timed<T>(run: () => T): [T, number] {
  const started = performance.now();
  const value = run();
  return [value, performance.now() - started];
}

async function main(): Promise<void> {
  const [servicesDir, stacksDir, stack] = process.argv.slice(2);
  if (!servicesDir || !stacksDir || !stack) {
    throw new Error("usage: plan-child.ts <servicesDir> <stacksDir> <stack>");
  }
  const [catalog, validateMs] = timed(() => loadCatalog(servicesDir, stacksOrThrow(stacksDir)));
  const planStarted = performance.now();
  const doc = await runPlan({ stack, servicesDir, stacksDir, catalog });
  const planMs = performance.now() - planStarted;
  const [diff, diffMs] = timed(() => diffPlans(doc, doc));
  const [, formatMs] = timed(() =>
    [formatPlan(doc), formatDiff(diff), formatMarkdown(doc, diff), JSON.stringify(doc)].join(""),
  );
  const result: ChildResult = {
    catalog: catalog.length,
    services: doc.summary.services,
    resources: doc.summary.resources,
    registrations:
      doc.platform.resources.length + doc.services.reduce((n, s) => n + s.resources.length, 0),
    validateMs,
    planMs,
    diffMs,
    formatMs,
    // resourceUsage().maxRSS is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    sdkDefaults: sdkDefaultsRequested(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  },
);
