/**
 * The plan of the bundled example catalog (services/) with the repository's stack files, made once
 * per jest run and stack: several test files read the same plan, and each plan runs the whole
 * program under the mock engine. The first file that asks plans in-process and writes the plan to a
 * file shared by both jest workers, named by a hash of every input of the plan (the sources, the
 * catalog, the stacks, the templates, the installed packages' lock file); a later file, in either
 * worker, reads it. An edited source changes the hash, so a stale plan is never read. Import it only
 * where a test plans the examples unchanged.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { engineIds, PlanDocument, restoreEngineIds } from "../../offline/plan/types";

const ROOT = path.join(__dirname, "..", "..");
/** What a plan of the examples reads: the folders of the program and its data, and single files. */
export const PLAN_INPUT_DIRS = [
  "catalog",
  "components",
  "lib",
  "offline",
  "packages/dynamic-providers",
  "policy",
  "program",
  "services",
  "stacks",
  "templates",
];
export const PLAN_INPUT_FILES = ["index.ts", "package-lock.json", "Pulumi.yaml"];
export const CACHE_DIR = path.join(os.tmpdir(), `mlplatform-example-plans-${os.userInfo().uid}`);

interface CachedPlan {
  doc: PlanDocument;
  /** The engine's ids (not enumerable on the plan's resources, so not in `doc`'s JSON). */
  ids: Record<string, string>;
}

/** Files under `dir` (relative to `root`), sorted; node_modules left out. */
function filesUnder(root: string, dir: string): string[] {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

let key: string | undefined;
/** sha256 over the path and content of every input of the plan under `root` (32 hex digits). */
export function planInputsKey(root = ROOT): string {
  if (root === ROOT && key) return key;
  const hash = createHash("sha256");
  const files = [
    ...PLAN_INPUT_DIRS.flatMap((dir) => filesUnder(root, dir)),
    ...PLAN_INPUT_FILES.filter((file) => fs.existsSync(path.join(root, file))),
  ];
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(root, file)));
    hash.update("\0");
  }
  const digest = hash.digest("hex").slice(0, 32);
  if (root === ROOT) key = digest;
  return digest;
}

/** The shared file of `stack`'s plan for the current inputs. */
export function cacheFile(stack: string): string {
  return path.join(CACHE_DIR, `${planInputsKey()}-${stack}.json`);
}

async function planOnce(stack: string): Promise<CachedPlan> {
  const file = cacheFile(stack);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as CachedPlan;
  } catch {
    // Not written yet (or being replaced): plan it here.
  }
  // Loaded only on a miss: a file served from the shared plan never loads the program for it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runPlan } = require("../../offline/plan/run") as typeof import("../../offline/plan/run");
  const doc = await runPlan({ stack });
  const cached: CachedPlan = {
    doc: JSON.parse(JSON.stringify(doc)) as PlanDocument,
    ids: engineIds(doc),
  };
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  // Written whole under a temporary name, then renamed: the other worker never reads half a file
  // (https://nodejs.org/api/fs.html#fsrenamesyncoldpath-newpath, rename(2) replaces atomically).
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(cached));
  fs.renameSync(temporary, file);
  // Plans of earlier inputs are never read again.
  for (const name of fs.readdirSync(CACHE_DIR)) {
    if (!name.startsWith(planInputsKey())) fs.rmSync(path.join(CACHE_DIR, name), { force: true });
  }
  return cached;
}

const plans = new Map<string, Promise<CachedPlan>>();

/**
 * The examples' plan of `stack`; a copy on each call, so a test that edits it affects no other,
 * with the engine's ids of its resources as the plan itself has them. The copy is the plan's JSON
 * (what `npm run plan -- --json` writes, and what the plan's determinism is checked on).
 */
export async function examplePlan(stack: string): Promise<PlanDocument> {
  let plan = plans.get(stack);
  if (!plan) {
    plan = planOnce(stack);
    plans.set(stack, plan);
  }
  const { doc, ids } = await plan;
  return restoreEngineIds(structuredClone(doc), ids);
}
