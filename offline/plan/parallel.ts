/**
 * The offline plan of one stack split over worker processes: the parent validates the whole
 * catalog once, each worker runs the program (program/program.ts) for a contiguous slice of the
 * stack's services, and the parent merges their parts into the very document a single-process
 * plan (runPlan) returns, policies evaluated on the whole.
 */
import type { ChildProcess } from "child_process";
import { CatalogError, Problem } from "../../catalog/errors";
import { loadCatalog } from "../../catalog/load";
import { servicesForStack } from "../../catalog/resolve";
import { CatalogFile } from "../../catalog/types";
import { InputError } from "../../lib/input-error";
import { evaluatePolicies } from "../policy/evaluate";
import { SettingsError } from "../../catalog/settings";
import { DEFAULT_SERVICES_DIR, stacksOrThrow } from "../../catalog/stacks";
import { PlanInputError } from "./plan-input-error";
import type { RunPlanOptions } from "./run";
import {
  assemblePlan,
  PlanDocument,
  PlanResource,
  PlanService,
  restoreEngineIds,
  withEngineId,
} from "./types";
import {
  forkWorker,
  StartedWorkers,
  stopWorkers,
  WORKER_INDEX_ENV,
  workerExecArgv,
  workerModule,
} from "./workers";

export { WORKER_INDEX_ENV, workerExecArgv, workerModule };

/**
 * runPlan, loaded when this process plans itself: a parent whose workers plan never loads the
 * program, the providers or the mock engine (it validates, merges and evaluates the policies).
 */
function runPlanHere(options: RunPlanOptions): Promise<PlanDocument> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runPlan } = require("./run") as typeof import("./run");
  return runPlan(options);
}

export interface ParallelPlanOptions extends RunPlanOptions {
  /** Worker processes; 1 plans in this process, exactly as runPlan does. */
  workers: number;
  /**
   * Fewest services a worker is started for: a worker's start-up (loading the program) costs more
   * than it saves on a small stack. Defaults to 1 (exactly `workers` when there are enough services).
   */
  minServicesPerWorker?: number;
  /**
   * Node flags of the workers. Defaults to this process's own (the plan's), with ts-node's
   * transpile-only hook added when the worker is TypeScript and the flags do not load ts-node.
   */
  execArgv?: string[];
  /**
   * The worker module. Defaults to plan-worker next to this module (workerModule); the tests
   * give the compiled one (dist/offline/plan/plan-worker.js), the same program without ts-node.
   */
  worker?: string;
  /**
   * Workers already started (offline/plan/workers.ts startWorkers) while this process loaded and
   * validated: the plan uses as many as it has slices, starts the ones missing, and stops the
   * rest (all of them when the plan is refused or runs in this process).
   */
  started?: StartedWorkers;
  /** Called with each worker's process id once it is started (index in slice order). */
  onWorkerStarted?: (pid: number, index: number) => void;
  /** Called when a worker has sent its part, with its peak resident set size (for measurements). */
  onWorkerFinished?: (index: number, maxRssBytes: number) => void;
}

/**
 * What a worker is asked to plan: the plan's options as plain data (the structured clone of IPC
 * carries them; a function would fail it), the catalog validated here, and the worker's slice.
 */
export interface WorkerRequest extends Omit<RunPlanOptions, "onProgress"> {
  catalog: CatalogFile[];
  declareOnly: string[];
  declareSharedResources: boolean;
}

/** A worker's error, as data: the parent rebuilds the error the single-process plan throws. */
export type WorkerFailure =
  | { kind: "catalog"; problems: Problem[] }
  | { kind: "settings"; problems: string[] }
  | { kind: "input"; message: string }
  | { kind: "error"; message: string };

/**
 * A worker's part of the plan as it crosses the process boundary, as JSON strings: each service
 * in its own message, then the rest of the document (its `services` empty). A flat string is
 * copied across the channel as it is, where a structured clone of the document walks and rebuilds
 * every object on both sides; the parent parses each as it comes and lets it go. JSON is lossless
 * here: a plan is JSON data (it is written with JSON.stringify) and holds no undefined values.
 */
export interface WorkerPart {
  doc: PlanDocument;
  /** The engine's ids by URN: JSON drops the plan's non-enumerable ids. */
  ids: Record<string, string>;
}

/** One service of a worker's part, with the engine's ids of its resources. */
export interface WorkerServicePart {
  service: PlanService;
  ids: Record<string, string>;
}

export type WorkerMessage =
  | { kind: "progress"; declared: number; total: number }
  /** JSON.stringify of a WorkerServicePart. */
  | { kind: "service"; part: string }
  /** JSON.stringify of a WorkerPart: the document without its services, sent last. */
  | { kind: "done"; part: string }
  /** After "done" is written: the worker's peak resident set size, sending included. */
  | { kind: "peak"; maxRssBytes: number }
  | { kind: "failed"; failure: WorkerFailure };

/** An error as data that crosses the process boundary. */
export function describeFailure(error: unknown): WorkerFailure {
  if (error instanceof CatalogError) return { kind: "catalog", problems: [...error.details] };
  if (error instanceof SettingsError) return { kind: "settings", problems: [...error.problems] };
  if (error instanceof InputError) return { kind: "input", message: error.message };
  return { kind: "error", message: error instanceof Error ? error.message : String(error) };
}

/** The error a worker's failure stands for: the command line prints it as it prints the original. */
export function failureError(failure: WorkerFailure): Error {
  switch (failure.kind) {
    case "catalog":
      return new CatalogError(failure.problems);
    case "settings":
      return new SettingsError(failure.problems);
    case "input":
      return new PlanInputError(failure.message);
    default:
      return new Error(failure.message);
  }
}

/** `items` cut into at most `parts` contiguous, non-empty slices whose sizes differ by at most one. */
export function contiguousSlices<T>(items: readonly T[], parts: number): T[][] {
  const count = Math.max(1, Math.min(parts, items.length));
  const slices: T[][] = [];
  for (let i = 0; i < count; i++) {
    slices.push(
      items.slice(
        Math.floor((i * items.length) / count),
        Math.floor(((i + 1) * items.length) / count),
      ),
    );
  }
  return slices.filter((s) => s.length > 0);
}

/** A worker's platform resources must be the first worker's (providers, the stack reference). */
function checkSharedPart(first: PlanResource[], other: PlanResource[], worker: number): void {
  const byUrn = new Map(first.map((r) => [r.urn, JSON.stringify(r)]));
  for (const r of other) {
    if (byUrn.get(r.urn) !== JSON.stringify(r)) {
      throw new Error(
        `parallel plan: worker ${worker + 1} declared the platform resource ${r.urn} differently from worker 1`,
      );
    }
  }
}

/**
 * One document from the workers' parts, in slice order: the platform part of the first worker
 * (the only one declaring the shared pieces), every service, and what runPlan derives from them
 * (summary, imports, findings), built the way runPlan builds them.
 */
export function mergePlanParts(parts: PlanDocument[], expected: readonly string[]): PlanDocument {
  const [first, ...rest] = parts;
  rest.forEach((part, i) =>
    checkSharedPart(first.platform.resources, part.platform.resources, i + 1),
  );
  const platform = first.platform.resources;
  const services: PlanService[] = parts
    .flatMap((p) => p.services)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = services.map((s) => s.name);
  const wanted = [...expected].sort();
  if (names.length !== wanted.length || names.some((name, i) => name !== wanted[i])) {
    throw new Error(
      `parallel plan: the workers declared ${names.length} services, the stack has ${wanted.length}`,
    );
  }
  // Every worker computes `retained` from the stack's whole list of services: the first one's stands.
  const doc = assemblePlan(first, platform, services, first.retained);
  doc.findings = evaluatePolicies(doc);
  return doc;
}

/** The catalog the plan covers (the given one, or the whole catalog loaded and validated). */
function catalogToPlan(options: RunPlanOptions, stacks: ReturnType<typeof stacksOrThrow>) {
  try {
    return options.catalog ?? loadCatalog(options.servicesDir ?? DEFAULT_SERVICES_DIR, stacks);
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
}

/**
 * The plan of `options.stack` over `options.workers` processes; deep-equal to runPlan(options).
 * Validation (stack, settings, the whole catalog) runs here, once, before any worker is asked to
 * plan (workers started ahead of it only load the program, and are stopped if it fails).
 */
export async function planParallel(options: ParallelPlanOptions): Promise<PlanDocument> {
  const {
    workers,
    minServicesPerWorker = 1,
    execArgv,
    worker = workerModule(),
    started,
    onWorkerStarted,
    onWorkerFinished,
    ...planOptions
  } = options;
  const ready = started?.children ?? [];
  let used = 0;
  try {
    if (!Number.isInteger(workers) || workers < 1) {
      throw new PlanInputError(`--workers ${workers}: must be a whole number from 1 up`);
    }
    if (workers === 1) {
      await stopWorkers(ready);
      return await runPlanHere(planOptions);
    }
    const stacks = stacksOrThrow(planOptions.stacksDir);
    const info = stacks.find((s) => s.stack === planOptions.stack);
    if (!info) {
      throw new PlanInputError(
        `unknown stack "${planOptions.stack}" (stacks: ${stacks.map((s) => s.stack).join(", ")})`,
      );
    }
    const catalog = catalogToPlan(planOptions, stacks);
    const names = servicesForStack(catalog, info.settings).map((s) => s.name);
    const useful = Math.max(1, Math.floor(names.length / Math.max(1, minServicesPerWorker)));
    const slices = contiguousSlices(names, Math.min(workers, useful));
    if (slices.length < 2) {
      await stopWorkers(ready);
      return await runPlanHere({ ...planOptions, catalog });
    }
    used = slices.length;
    await stopWorkers(ready.slice(used));
    const { onProgress, ...data } = planOptions;
    const requests: WorkerRequest[] = slices.map((slice, index) => ({
      ...data,
      catalog,
      declareOnly: slice,
      declareSharedResources: index === 0,
      // Evaluated once, on the merged plan.
      policies: false,
    }));
    const parts = await runWorkers(requests, {
      execArgv: execArgv ?? workerExecArgv(process.execArgv, worker),
      worker,
      started: ready.slice(0, used),
      onWorkerStarted,
      onWorkerFinished,
      onProgress,
      total: names.length,
    });
    return mergePlanParts(parts, names);
  } catch (error) {
    // Refused before the workers were asked (or by them): none of them outlives the plan.
    await stopWorkers(ready.slice(0, used === 0 ? ready.length : 0));
    throw error;
  }
}

/** What a worker was asked, for messages: "worker 2 of 3 (services a to b)". */
function describeWorker(requests: WorkerRequest[], index: number): string {
  const slice = requests[index].declareOnly;
  return `worker ${index + 1} of ${requests.length} (services ${slice[0]} to ${slice[slice.length - 1]})`;
}

/** A service of a worker's part, parsed from its string, with the engine's ids put back. */
export function parseServicePart(part: string): PlanService {
  const { service, ids } = JSON.parse(part) as WorkerServicePart;
  for (const r of service.resources) withEngineId(r, ids[r.urn]);
  return service;
}

/** The rest of a worker's part (services parsed before), with the engine's ids put back. */
export function parseWorkerPart(part: string, services: PlanService[]): PlanDocument {
  const { doc, ids } = JSON.parse(part) as WorkerPart;
  // The same key, in the same place: the document's key order is the single-process plan's.
  doc.services = services;
  return restoreEngineIds(doc, ids);
}

/**
 * Runs one worker per request (the ones already started first) and resolves with their documents
 * in request order. The first failure kills the other workers and rejects once every worker has
 * exited (no orphans).
 */
function runWorkers(
  requests: WorkerRequest[],
  options: {
    execArgv: string[];
    worker: string;
    started: ChildProcess[];
    onWorkerStarted?: (pid: number, index: number) => void;
    onWorkerFinished?: (index: number, maxRssBytes: number) => void;
    onProgress?: (declared: number, total: number) => void;
    total: number;
  },
): Promise<PlanDocument[]> {
  return new Promise((resolve, reject) => {
    const docs: (PlanDocument | undefined)[] = requests.map(() => undefined);
    const services: PlanService[][] = requests.map(() => []);
    const declared = requests.map(() => 0);
    const children: ChildProcess[] = [];
    let open = requests.length;
    let failure: Error | undefined;
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      }
    };
    const closed = () => {
      open -= 1;
      if (open > 0) return;
      if (failure) reject(failure);
      else resolve(docs as PlanDocument[]);
    };
    requests.forEach((request, index) => {
      const child = options.started[index] ?? forkWorker(index, options.execArgv, options.worker);
      children.push(child);
      if (child.pid !== undefined) options.onWorkerStarted?.(child.pid, index);
      child.on("message", (message: WorkerMessage) => {
        if (message.kind === "progress") {
          declared[index] = message.declared;
          options.onProgress?.(
            declared.reduce((n, d) => n + d, 0),
            options.total,
          );
        } else if (message.kind === "service") {
          services[index].push(parseServicePart(message.part));
        } else if (message.kind === "done") {
          docs[index] = parseWorkerPart(message.part, services[index]);
        } else if (message.kind === "peak") {
          options.onWorkerFinished?.(index, message.maxRssBytes);
        } else fail(failureError(message.failure));
      });
      child.on("error", (error) =>
        fail(new Error(`parallel plan: ${describeWorker(requests, index)}: ${error.message}`)),
      );
      // "close" follows "exit" (or a failed spawn's "error") once the stdio streams and the IPC
      // channel are closed: the last message is in (https://nodejs.org/api/child_process.html#event-close).
      const stopped = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!docs[index]) {
          fail(
            new Error(
              `parallel plan: ${describeWorker(requests, index)} stopped before finishing (${signal ? `signal ${signal}` : `exit code ${code}`})`,
            ),
          );
        }
        closed();
      };
      // A worker started ahead may have exited already (its "close" has been emitted).
      if (child.exitCode !== null || child.signalCode !== null) {
        setImmediate(() => stopped(child.exitCode, child.signalCode));
      } else child.on("close", stopped);
      if (failure) child.kill("SIGKILL");
      else if (child.connected) child.send(request);
    });
  });
}
