/**
 * `npm run bench -- --baseline <git ref>`: the ref's own benchmark child run side by side with the
 * working tree's, on the same catalogs, so that a speed-up is a ratio measured on one machine in
 * one invocation rather than against figures from another day.
 *
 * The ref is checked out with `git worktree add --detach` into a temporary folder
 * (https://git-scm.com/docs/git-worktree) and removed afterwards (`git worktree remove --force`,
 * also on failure). `npm ci` there would be slow and needs the registry, so the worktree gets a
 * symbolic link to this checkout's node_modules: the baseline runs its own code with today's
 * installed dependencies (a ref whose dependencies differ is measured with these).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../cli/command";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
/** The benchmark child a baseline must have (bench/plan-child.ts). */
export const CHILD_PATH = path.join("bench", "plan-child.ts");

export interface Baseline {
  /** The ref as given. */
  ref: string;
  /** The commit it names. */
  sha: string;
  /** The worktree's folder. */
  dir: string;
  /** Its benchmark child. */
  child: string;
  /**
   * The Node flags its own `npm run plan` starts node with (planNodeFlags of its package.json):
   * its child runs with them, as the working tree's runs with PLAN_NODE_FLAGS.
   */
  nodeFlags: string[];
}

/**
 * The Node flags of a `plan` npm script: the `--flags` between the last `node` of the line and the
 * first argument that is not one (`node --max-semi-space-size=128 -r ts-node/register/transpile-only
 * cli/plan.ts` gives `--max-semi-space-size=128`; `-r` and what it loads are the runner, which the
 * benchmark child brings itself). No `plan` script or no flags: none.
 */
export function planNodeFlags(packageJson: string): string[] {
  let script: unknown;
  try {
    script = (JSON.parse(packageJson) as { scripts?: Record<string, unknown> }).scripts?.plan;
  } catch {
    return [];
  }
  if (typeof script !== "string") return [];
  const words = script.split(/\s+/);
  const node = words.lastIndexOf("node");
  if (node < 0) return [];
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith("--")) break;
    flags.push(word);
  }
  return flags;
}

type Git = (args: string[], cwd: string) => string;

const runGit: Git = (args, cwd) =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

function gitMessage(e: unknown): string {
  const stderr = (e as { stderr?: unknown }).stderr;
  const text = typeof stderr === "string" && stderr.trim() !== "" ? stderr : String(e);
  return text.trim().split("\n")[0];
}

/**
 * Checks out `ref` into a temporary worktree with this checkout's node_modules linked in. Throws a
 * UsageError naming the flag when the ref is not a commit or has no benchmark.
 */
export function prepareBaseline(
  ref: string,
  root: string = PROJECT_ROOT,
  git: Git = runGit,
): Baseline {
  if (ref.trim() === "" || ref.startsWith("-")) {
    throw new UsageError(
      `--baseline ${JSON.stringify(ref)}: expected a git ref (main, HEAD~3, a sha)`,
    );
  }
  let sha: string;
  try {
    sha = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], root);
  } catch {
    sha = "";
  }
  if (!/^[0-9a-f]{40}$/.test(sha)) {
    throw new UsageError(
      `--baseline ${ref}: not a commit of the repository in ${root} (a branch, tag or sha is expected)`,
    );
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlplatform-bench-baseline-"));
  try {
    git(["worktree", "add", "--detach", dir, sha], root);
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`--baseline ${ref}: git worktree add failed: ${gitMessage(e)}`);
  }
  const baseline: Baseline = { ref, sha, dir, child: path.join(dir, CHILD_PATH), nodeFlags: [] };
  try {
    if (!fs.existsSync(baseline.child)) {
      throw new UsageError(
        `--baseline ${ref}: commit ${sha.slice(0, 12)} has no ${CHILD_PATH}, so it cannot be benchmarked side by side (choose a later commit)`,
      );
    }
    baseline.nodeFlags = planNodeFlags(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
  } catch (e) {
    removeBaseline(baseline, root, git);
    throw e;
  }
  return baseline;
}

/** Removes the worktree and its folder; never throws (it runs in `finally`). */
export function removeBaseline(baseline: Baseline, root: string = PROJECT_ROOT, git: Git = runGit) {
  try {
    // The node_modules link first: the worktree's own files only are git's to remove.
    fs.rmSync(path.join(baseline.dir, "node_modules"), { force: true });
    git(["worktree", "remove", "--force", baseline.dir], root);
  } catch (e) {
    process.stderr.write(
      `could not remove the baseline worktree ${baseline.dir}: ${gitMessage(e)}\n`,
    );
  }
  fs.rmSync(baseline.dir, { recursive: true, force: true });
  try {
    git(["worktree", "prune"], root);
  } catch {
    // Nothing left to prune is not a failure.
  }
}
