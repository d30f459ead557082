/**
 * The worker processes of a parallel offline plan, started as early as a command can: this module
 * loads nothing but child_process, so `npm run plan` forks its workers before it loads the SDK or
 * reads the catalog, and each worker loads the program (the longest part of its start) while the
 * parent validates. The plan itself is offline/plan/parallel.ts.
 */
import { ChildProcess, fork } from "child_process";
import * as fs from "fs";
import * as path from "path";

/**
 * Services per worker below which `--workers auto` does not start another one: each worker loads
 * the whole program before it plans anything (docs/scale.md, "Parallel plan").
 */
export const AUTO_SERVICES_PER_WORKER = 150;

/** The environment variable that tells a worker its index (0 declares the shared pieces). */
export const WORKER_INDEX_ENV = "MLPLATFORM_PLAN_WORKER";

/** The worker module next to this one: plan-worker.ts under ts-node or jest, .js when compiled. */
export function workerModule(): string {
  return require.resolve("./plan-worker");
}

/** Whether a flag loads ts-node (`-r ts-node/register...`, `--require=.../ts-node/...`). */
function loadsTsNode(flag: string): boolean {
  return /(^|[/\\])ts-node([/\\]|$)/.test(flag);
}

/**
 * The Node flags of a worker: the parent's (fork's own default for execArgv:
 * https://nodejs.org/api/child_process.html#child_processforkmodulepath-args-options), minus
 * debugger flags (each worker would claim the parent's port). A TypeScript worker gets ts-node's
 * transpile-only require hook (TypeStrong/ts-node README.md `node -r ts-node/register`;
 * register/transpile-only.js) when nothing in the flags loads ts-node (the ts-node binary, or
 * jest); a compiled one (.js) drops the parent's ts-node hook, which would only load the
 * TypeScript compiler for nothing.
 */
export function workerExecArgv(parent: readonly string[], worker: string): string[] {
  const argv: string[] = [];
  const compiled = worker.endsWith(".js");
  for (let i = 0; i < parent.length; i++) {
    const flag = parent[i];
    if (/^--(inspect|debug)/.test(flag)) continue;
    if (compiled && (flag === "-r" || flag === "--require") && loadsTsNode(parent[i + 1] ?? "")) {
      i++;
      continue;
    }
    if (compiled && /^--require=/.test(flag) && loadsTsNode(flag)) continue;
    argv.push(flag);
  }
  if (worker.endsWith(".ts") && !argv.some((flag) => flag.includes("ts-node"))) {
    argv.push("--require", require.resolve("ts-node/register/transpile-only"));
  }
  return argv;
}

/**
 * Forks worker `index` of a plan (`module`: the worker module, plan-worker next to this one by
 * default): it loads the program at once and waits for its request.
 */
export function forkWorker(
  index: number,
  execArgv: string[],
  module: string = workerModule(),
): ChildProcess {
  // The plan's result is one string per worker; the "advanced" serialization (a structured
  // clone) copies a string as it is, where "json" would escape it again
  // (https://nodejs.org/api/child_process.html#advanced-serialization).
  return fork(module, [], {
    execArgv,
    serialization: "advanced",
    env: { ...process.env, [WORKER_INDEX_ENV]: String(index) },
  });
}

/** Workers started ahead of the plan (startWorkers), handed to planParallel as `started`. */
export interface StartedWorkers {
  children: ChildProcess[];
}

/**
 * Starts `count` workers now, with the plan's Node flags, so that they load the program while
 * this process reads and validates the catalog. planParallel takes the ones its slices need and
 * stops the others (and all of them when the plan is refused or runs in this process). `module`
 * and `execArgv` as planParallel's `worker` and `execArgv`.
 */
export function startWorkers(
  count: number,
  module: string = workerModule(),
  execArgv: string[] = workerExecArgv(process.execArgv, module),
): StartedWorkers {
  const children = Array.from({ length: count }, (_, index) => {
    const child = forkWorker(index, execArgv, module);
    // Until planParallel listens: a worker that cannot start is reported there, by its exit.
    child.on("error", () => undefined);
    return child;
  });
  return { children };
}

/** Stops workers and resolves once every one of them has exited. */
export function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  ).then(() => undefined);
}

/**
 * How many workers `--workers` will use on a catalog folder, known before the catalog is read:
 * one per `*.yaml` entry file counted as a service (an upper bound: the stack may deploy fewer,
 * and planParallel stops the workers it does not need), at most `workers`, and at least
 * `minServicesPerWorker` services each. 1 (no worker) when the folder cannot be read.
 */
export function expectedWorkers(
  servicesDir: string,
  workers: number,
  minServicesPerWorker: number,
): number {
  let entries: number;
  try {
    entries = fs.readdirSync(servicesDir).filter((f) => path.extname(f) === ".yaml").length;
  } catch {
    return 1;
  }
  return Math.max(1, Math.min(workers, entries, Math.floor(entries / minServicesPerWorker)));
}
