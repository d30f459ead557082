/**
 * `npm run plan -- --changed-since <ref>`: which services to plan after a change. Only the services
 * whose entry file changed since the git ref, or every service when something they all share
 * changed (templates, components, lib, index.ts, the stack files, the catalog schema, the
 * dependencies). The caller validates the WHOLE catalog first (names and shards are global) and
 * plans the selection by passing it to the program as its catalog.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../cli-args";
import { loadCatalog } from "../catalog/load";
import { CatalogFile } from "../catalog/types";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, PROJECT_ROOT } from "../stacks";
import { stacksOrThrow } from "./run";
import { PlanDocument } from "./types";
import { counted } from "../plural";

/** Paths (relative to the project root) whose change affects every service. */
export const SHARED_PATHS = [
  "templates",
  "components",
  "lib",
  "index.ts",
  "Pulumi.yaml",
  "package.json",
  "package-lock.json",
] as const;

/** Files in the services folder that are not entries but shape every entry. */
const SHARED_CATALOG_FILES = new Set(["schema.json"]);

export interface ChangedSinceOptions {
  /** Folder of the catalog. Defaults to services/ of this project. */
  servicesDir?: string;
  /** Folder of the stack files. Defaults to stacks/ of this project. */
  stacksDir?: string;
  /** Root the SHARED_PATHS are relative to. Defaults to this project's root. */
  projectRoot?: string;
}

export interface ChangeSelection {
  ref: string;
  /** True when a shared file changed: every service is planned. */
  all: boolean;
  /** Shared files that changed (relative to the git top level), sorted. */
  sharedChanges: string[];
  /** Names of the entries whose file changed (added, modified, renamed or deleted), sorted. */
  changedEntries: string[];
  /** The catalog entries to plan, in catalog order. */
  selected: CatalogFile[];
  /** How many catalog entries are not planned. */
  skipped: number;
}

/** A git failure the user can fix (unknown ref, not a repository): the CLI exits 2. */
export class ChangedSinceError extends UsageError {}

function git(cwd: string, args: string[], what: string): string {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const error = e as NodeJS.ErrnoException & { stderr?: string };
    if (error.code === "ENOENT") {
      throw new ChangedSinceError(`--changed-since: git is not installed (needed to ${what})`);
    }
    const detail = String(error.stderr ?? "")
      .trim()
      .split("\n")[0];
    throw new ChangedSinceError(`--changed-since: cannot ${what}: ${detail || error.message}`);
  }
}

/** Splits NUL-separated git output. */
function paths(output: string): string[] {
  return output.split("\0").filter((p) => p !== "");
}

/** The git top level of a folder, or a ChangedSinceError saying it is not in a repository. */
export function gitTopLevel(dir: string): string {
  if (!fs.existsSync(dir)) throw new ChangedSinceError(`--changed-since: ${dir}: no such folder`);
  let top: string;
  try {
    top = execFileSync("git", ["rev-parse", "--show-toplevel"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ChangedSinceError("--changed-since: git is not installed");
    }
    throw new ChangedSinceError(
      `--changed-since: ${dir} is not inside a git repository (run the plan from a git checkout, or drop --changed-since)`,
    );
  }
  return fs.realpathSync(top);
}

/** Paths git reports as changed since `ref` (committed, staged, unstaged and untracked), relative to the top level. */
export function changedPaths(top: string, ref: string, pathspecs: string[]): string[] {
  if (ref === "" || ref.startsWith("-")) {
    throw new ChangedSinceError(`--changed-since: "${ref}" is not a git ref`);
  }
  try {
    execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      cwd: top,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    throw new ChangedSinceError(
      `--changed-since: unknown git ref "${ref}" (in CI, fetch it first, e.g. git fetch origin main, and pass origin/main)`,
    );
  }
  if (pathspecs.length === 0) return [];
  const diffed = git(
    top,
    ["diff", "--name-only", "--no-renames", "-z", ref, "--", ...pathspecs],
    `list the files changed since ${ref}`,
  );
  const untracked = git(
    top,
    ["ls-files", "--others", "--exclude-standard", "-z", "--", ...pathspecs],
    "list untracked files",
  );
  return [...new Set([...paths(diffed), ...paths(untracked)])].sort();
}

/** `target` relative to `top` in git's form (forward slashes), or undefined when outside it. */
function inside(top: string, target: string): string | undefined {
  const real = fs.existsSync(target) ? fs.realpathSync(target) : path.resolve(target);
  const relative = path.relative(top, real);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join("/");
}

/**
 * Which of `catalog` (already validated, whole) to plan given the changes since `ref`. Entries are
 * matched by file name (services/<name>.yaml), which validation ties to the entry's name.
 */
export function selectChangedServices(
  ref: string,
  catalog: CatalogFile[],
  options: ChangedSinceOptions = {},
): ChangeSelection {
  const servicesDir = options.servicesDir ?? DEFAULT_SERVICES_DIR;
  const top = gitTopLevel(servicesDir);
  const servicesRel = inside(top, servicesDir);
  if (servicesRel === undefined) {
    throw new ChangedSinceError(`--changed-since: ${servicesDir} is outside the git repository`);
  }
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const shared = [
    ...SHARED_PATHS.map((p) => path.join(projectRoot, p)),
    options.stacksDir ?? DEFAULT_STACKS_DIR,
  ]
    .map((p) => inside(top, p))
    .filter((p): p is string => p !== undefined);
  const servicesSpec = servicesRel === "" ? "." : servicesRel;
  const changed = changedPaths(top, ref, [servicesSpec, ...shared]);

  const servicesPrefix = servicesRel === "" ? "" : `${servicesRel}/`;
  const sharedChanges: string[] = [];
  const changedEntries = new Set<string>();
  for (const file of changed) {
    const rest = file.startsWith(servicesPrefix) ? file.slice(servicesPrefix.length) : undefined;
    if (rest !== undefined && !rest.includes("/")) {
      if (rest.endsWith(".yaml")) changedEntries.add(rest.slice(0, -".yaml".length));
      else if (SHARED_CATALOG_FILES.has(rest)) sharedChanges.push(file);
      continue;
    }
    if (rest === undefined || shared.some((p) => file === p || file.startsWith(`${p}/`))) {
      sharedChanges.push(file);
    }
  }
  const all = sharedChanges.length > 0;
  const selected = all ? catalog : catalog.filter((f) => changedEntries.has(f.entry.name));
  return {
    ref,
    all,
    sharedChanges,
    changedEntries: [...changedEntries].sort(),
    selected,
    skipped: catalog.length - selected.length,
  };
}

/** The line the plan prints about the selection. */
export function describeSelection(selection: ChangeSelection, total: number): string {
  if (selection.all) {
    const shown = selection.sharedChanges.slice(0, 3).join(", ");
    const more =
      selection.sharedChanges.length > 3 ? ` and ${selection.sharedChanges.length - 3} more` : "";
    return `changed since ${selection.ref}: planning all ${total} services, 0 skipped (${shown}${more} changed, which every service depends on)`;
  }
  const removed = selection.changedEntries.length - selection.selected.length;
  const removedNote =
    removed > 0 ? `; ${removed} changed entr${removed === 1 ? "y was" : "ies were"} removed` : "";
  return `changed since ${selection.ref}: planning ${selection.selected.length} of ${counted(total, "service")}, ${selection.skipped} skipped (their entry files did not change and no shared file did${removedNote})`;
}

/**
 * Loads and validates the whole catalog, then selects what changed since `ref`: validation stays
 * global (duplicates, shards), only the planning is narrowed.
 */
export function selectForPlan(
  ref: string,
  options: ChangedSinceOptions = {},
): { selection: ChangeSelection; total: number; catalog: CatalogFile[] } {
  const catalog = loadCatalog(
    options.servicesDir ?? DEFAULT_SERVICES_DIR,
    stacksOrThrow(options.stacksDir ?? DEFAULT_STACKS_DIR),
  );
  return {
    selection: selectChangedServices(ref, catalog, options),
    total: catalog.length,
    catalog,
  };
}

/** A base plan narrowed to the changed entries, so that unplanned services do not show as removed. */
export function restrictBase(base: PlanDocument, selection: ChangeSelection): PlanDocument {
  if (selection.all) return base;
  const names = new Set(selection.changedEntries);
  return { ...base, services: base.services.filter((s) => names.has(s.name)) };
}
