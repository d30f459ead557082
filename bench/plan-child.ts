/**
 * One benchmark run in its own process (so peak memory is this run's alone): validates the whole
 * catalog, plans one stack with the real program, diffs the plan against itself and formats it,
 * timing each step, and prints one JSON line of measurements on stdout.
 *
 * ts-node --transpile-only bench/plan-child.ts <servicesDir> <stacksDir> <stack>
 * MLPLATFORM_SDK_DEFAULTS=1 runs the plan with the Pulumi SDK's default settings (in one process).
 * The plan uses worker processes as `npm run plan` does by default (`--workers auto`);
 * MLPLATFORM_BENCH_WORKERS=N fixes their number (1: in this process).
 */
import { performance } from "perf_hooks";
import { loadCatalog } from "../lib/catalog/load";
import { diffPlans } from "../lib/plan/diff";
import { formatDiff, formatMarkdown, formatPlan } from "../lib/plan/format";
import * as os from "os";
import { planParallel } from "../lib/plan/parallel";
import { AUTO_SERVICES_PER_WORKER } from "../lib/plan/workers";
import { stacksOrThrow } from "../lib/plan/run";
import { sdkDefaultsRequested } from "../lib/plan/sdk-tuning";
import { serializedProviders, stateSize } from "./state-size";

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
  /** Pulumi state the stack would hold (inputs and outputs of every resource), in bytes. */
  stateBytes: number;
  /** The services' share of it, per service (bench/state-size.ts). */
  stateBytesPerService: number;
  /** Peak resident set size of this process, in bytes. */
  maxRssBytes: number;
  sdkDefaults: boolean;
  /** Processes the plan ran in (1: this one alone). */
  workers?: number;
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
  const [[catalog, stacks], validateMs] = timed(() => {
    const read = stacksOrThrow(stacksDir);
    return [loadCatalog(servicesDir, read), read] as const;
  });
  const planStarted = performance.now();
  const fixed = process.env.MLPLATFORM_BENCH_WORKERS;
  const workerRss: number[] = [];
  const doc = await planParallel({
    stack,
    servicesDir,
    stacksDir,
    catalog,
    workers: sdkDefaultsRequested() ? 1 : fixed ? Number(fixed) : os.availableParallelism(),
    minServicesPerWorker: fixed ? 1 : AUTO_SERVICES_PER_WORKER,
    onWorkerFinished: (index, rss) => (workerRss[index] = rss),
  });
  const planMs = performance.now() - planStarted;
  const [diff, diffMs] = timed(() => diffPlans(doc, doc));
  const [, formatMs] = timed(() =>
    [formatPlan(doc), formatDiff(diff), formatMarkdown(doc, diff), JSON.stringify(doc)].join(""),
  );
  // After the timed steps: the state measurement is not part of a plan.
  const settings = stacks.find((s) => s.stack === stack)!.settings;
  const state = stateSize(doc, await serializedProviders(), {
    region: settings.awsRegion,
    accountId: settings.awsAccountId,
    githubOrganization: settings.githubOrganization,
  });
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
    stateBytes: state.totalBytes,
    stateBytesPerService: state.perServiceBytes,
    // resourceUsage().maxRSS is in kilobytes; the workers' peaks add up (they run together).
    maxRssBytes:
      process.resourceUsage().maxRSS * 1024 + workerRss.reduce((a, b) => a + (b ?? 0), 0),
    workers: Math.max(1, workerRss.length),
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
