/**
 * One benchmark run in its own process (so peak memory is this run's alone): validates the whole
 * catalog, plans one stack with the real program, diffs the plan against itself and formats it,
 * timing each step, and prints one JSON line of measurements on stdout; then it measures the
 * Pulumi state the plan would leave and prints it as a second line (not part of a plan: the
 * benchmark's wall time and peak memory end with the first line).
 *
 * ts-node --transpile-only bench/plan-child.ts <servicesDir> <stacksDir> <stack>
 * The plan runs the compiled program (dist/, as `npm run plan` does; bench/run.ts builds it when a
 * source is newer) with worker processes as `npm run plan` starts them by default (`--workers
 * auto`, forked before the catalog is read); MLPLATFORM_BENCH_WORKERS=N fixes their number (1: in
 * this process). MLPLATFORM_SDK_DEFAULTS=1 runs the plan with the Pulumi SDK's default settings
 * (in one process).
 */
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import type * as CatalogLoad from "../catalog/load";
import type * as Diff from "../offline/plan/diff";
import type * as Format from "../offline/plan/format";
import type * as Parallel from "../offline/plan/parallel";
import type * as SdkTuning from "../offline/plan/sdk-tuning";
import type * as Workers from "../offline/plan/workers";
import type * as Stacks from "../catalog/stacks";

/** The compiled project (npm run build; tsconfig.build.json "outDir": "dist"). */
export const DIST = path.join(__dirname, "..", "dist");

/** A module of the compiled project, typed as its source. */
function compiled<T>(module: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(DIST, module)) as T;
}

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
  /**
   * Peak resident set size of the plan, in bytes: this process's and every worker's peak, added
   * (an upper bound of what they held at once).
   */
  maxRssBytes: number;
  /** The peaks that sum is made of: this process's, then each worker's (absent from older refs). */
  processRssBytes?: number[];
  sdkDefaults: boolean;
  /** Processes the plan ran in (1: this one alone). */
  workers?: number;
}

/** The state measurement, printed after the timed line. */
export interface ChildState {
  /** Pulumi state the stack would hold (inputs and outputs of every resource), in bytes. */
  stateBytes: number;
  /** The services' share of it, per service (bench/state-size.ts). */
  stateBytesPerService: number;
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
  const { sdkDefaultsRequested } = compiled<typeof SdkTuning>("offline/plan/sdk-tuning");
  const { AUTO_SERVICES_PER_WORKER, expectedWorkers, startWorkers } =
    compiled<typeof Workers>("offline/plan/workers");
  const fixed = process.env.MLPLATFORM_BENCH_WORKERS;
  const workers = sdkDefaultsRequested() ? 1 : fixed ? Number(fixed) : os.availableParallelism();
  const minServicesPerWorker = fixed ? 1 : AUTO_SERVICES_PER_WORKER;
  // As `npm run plan` (cli/plan.ts): the workers load the program while this process validates.
  const ahead = expectedWorkers(servicesDir, workers, minServicesPerWorker);
  const started = ahead > 1 ? startWorkers(ahead) : undefined;
  const [[catalog, stacks], validateMs] = timed(() => {
    const read = compiled<typeof Stacks>("catalog/stacks").stacksOrThrow(stacksDir);
    const load = compiled<typeof CatalogLoad>("catalog/load");
    return [load.loadCatalog(servicesDir, read), read] as const;
  });
  const planStarted = performance.now();
  const workerRss: number[] = [];
  const doc = await compiled<typeof Parallel>("offline/plan/parallel").planParallel({
    stack,
    servicesDir,
    stacksDir,
    catalog,
    workers,
    minServicesPerWorker,
    started,
    onWorkerFinished: (index, rss) => (workerRss[index] = rss),
  });
  const planMs = performance.now() - planStarted;
  const { diffPlans } = compiled<typeof Diff>("offline/plan/diff");
  const { formatDiff, formatMarkdown, formatPlan } = compiled<typeof Format>("offline/plan/format");
  const [diff, diffMs] = timed(() => diffPlans(doc, doc));
  // Each rendering made and dropped in turn, as the plan command writes one output after another.
  const [, formatMs] = timed(() =>
    [
      () => formatPlan(doc),
      () => formatDiff(diff),
      () => formatMarkdown(doc, diff),
      () => JSON.stringify(doc, null, 2),
    ].reduce((n, render) => n + render().length, 0),
  );
  // resourceUsage().maxRSS is in kilobytes; the workers' peaks add up (they run together).
  const processRssBytes = [
    process.resourceUsage().maxRSS * 1024,
    ...workerRss.map((rss) => rss ?? 0),
  ];
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
    maxRssBytes: processRssBytes.reduce((a, b) => a + b, 0),
    processRssBytes,
    workers: Math.max(1, workerRss.length),
    sdkDefaults: sdkDefaultsRequested(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // After the timed line: the state measurement is not part of a plan.
  const { serializedProviders, stateSize } = await import("./state-size");
  const settings = stacks.find((s) => s.stack === stack)!.settings;
  const state = stateSize(doc, await serializedProviders(), {
    region: settings.awsRegion,
    accountId: settings.awsAccountId,
    githubOrganization: settings.githubOrganization,
  });
  const measured: ChildState = {
    stateBytes: state.totalBytes,
    stateBytesPerService: state.perServiceBytes,
  };
  process.stdout.write(`${JSON.stringify(measured)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  },
);
