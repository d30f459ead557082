/**
 * Which services to plan after a change since a git ref (`npm run plan -- --changed-since <ref>`).
 * Fail-safe: a changed entry file plans that service; a changed path known to affect no service
 * (NO_SERVICE_PATHS: documentation, tests, the benchmark, linter settings) plans none; ANY other
 * changed path of the project, its catalog or its stacks (code, templates, stack files, the
 * schema, the dependencies, a folder that did not exist yesterday) plans every service. The caller
 * validates the WHOLE catalog first (names and shards are global) and plans the selection by
 * passing it to the program as its catalog.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../../catalog/load";
import { CatalogFile } from "../../catalog/types";
import { InputError } from "../../lib/input-error";
import {
  DEFAULT_SERVICES_DIR,
  DEFAULT_STACKS_DIR,
  PROJECT_ROOT,
  stacksOrThrow,
} from "../../catalog/stacks";
import { PlanDocument } from "./types";
import { counted } from "../../lib/plural";

export interface NoServicePath {
  /** Matches a path relative to the project root, in git's form (forward slashes). */
  pattern: RegExp;
  /** Why no service's resources can depend on it. */
  why: string;
}

/**
 * Paths of the project whose change affects no service's resources; every other path is assumed to
 * affect all of them. Each entry is here because nothing the program runs (index.ts, lib/,
 * components/, templates/, the policy pack, Pulumi.yaml, tsconfig.json, package*.json) reads it.
 * CI files (.github/workflows, .drone.yml, .ci/) are deliberately absent: they decide how previews
 * run, so a change to them is previewed everywhere.
 */
export const NO_SERVICE_PATHS: readonly NoServicePath[] = [
  { pattern: /^docs\//, why: "the topic guides: read by people, never by the program" },
  {
    pattern: /^[^/]+\.md$/,
    why: "top-level Markdown (README.md): read by people and npm run docs, never by the program",
  },
  { pattern: /^tests\//, why: "the jest suite: never imported by the program" },
  { pattern: /^bench\//, why: "the benchmark: never imported by the program" },
  {
    pattern: /^\.github\/(?:.+\.md|CODEOWNERS)$/,
    why: "review routing and pull-request text of GitHub, not its workflows",
  },
  {
    pattern:
      /^(?:\.gitignore|\.prettierrc(?:\.json)?|\.prettierignore|\.yamllint\.yaml|\.editorconfig|eslint\.config\.js|jest\.config\.js|tsconfig\.jest\.json)$/,
    why: "settings of git, the linters and jest: the program is compiled with tsconfig.json",
  },
];

/**
 * Files in the services folder that are not entries. The catalog loader skips README.md and
 * .gitkeep (catalog/load.ts ALLOWED_EXTRA); every other non-entry file (schema.json: it shapes
 * every entry) plans every service.
 */
const CATALOG_FILES_OF_NO_SERVICE = new Set(["README.md", ".gitkeep"]);

export interface ChangedSinceOptions {
  /** Folder of the catalog. Defaults to services/ of this project. */
  servicesDir?: string;
  /** Folder of the stack files. Defaults to stacks/ of this project. */
  stacksDir?: string;
  /** Root NO_SERVICE_PATHS are relative to: the program's files. Defaults to this project's root. */
  projectRoot?: string;
}

export interface ChangeSelection {
  ref: string;
  /** True when a path that may affect every service changed: every service is planned. */
  all: boolean;
  /** Changed paths that may affect every service (relative to the git top level), sorted. */
  sharedChanges: string[];
  /** Names of the entries whose file changed (added, modified, renamed or deleted), sorted. */
  changedEntries: string[];
  /** The catalog entries to plan, in catalog order. */
  selected: CatalogFile[];
  /** How many catalog entries are not planned. */
  skipped: number;
}

/** A git failure the user can fix (unknown ref, not a repository): the command line exits 2. */
export class ChangedSinceError extends InputError {}

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
      throw new ChangedSinceError(`git is not installed (needed to ${what})`);
    }
    const detail = String(error.stderr ?? "")
      .trim()
      .split("\n")[0];
    throw new ChangedSinceError(`cannot ${what}: ${detail || error.message}`);
  }
}

/** Splits NUL-separated git output. */
function paths(output: string): string[] {
  return output.split("\0").filter((p) => p !== "");
}

/** The git top level of a folder, or a ChangedSinceError saying it is not in a repository. */
export function gitTopLevel(dir: string): string {
  if (!fs.existsSync(dir)) throw new ChangedSinceError(`${dir}: no such folder`);
  let top: string;
  try {
    top = execFileSync("git", ["rev-parse", "--show-toplevel"], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new ChangedSinceError("git is not installed");
    }
    throw new ChangedSinceError(
      `${dir} is not inside a git repository (plan from a git checkout, or plan the whole catalog)`,
    );
  }
  return fs.realpathSync(top);
}

/** Throws a ChangedSinceError unless `ref` names a commit of the repository at `top`. */
export function verifyRef(top: string, ref: string): void {
  if (ref === "" || ref.startsWith("-")) {
    throw new ChangedSinceError(`"${ref}" is not a git ref`);
  }
  try {
    execFileSync("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], {
      cwd: top,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch {
    throw new ChangedSinceError(
      `unknown git ref "${ref}" (in CI, fetch it first, e.g. git fetch origin main, and pass origin/main)`,
    );
  }
}

/** Paths git reports as changed since `ref` (committed, staged, unstaged and untracked), relative to the top level. */
export function changedPaths(top: string, ref: string, pathspecs: string[]): string[] {
  verifyRef(top, ref);
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
    throw new ChangedSinceError(`${servicesDir} is outside the git repository`);
  }
  const stacksDir = options.stacksDir ?? DEFAULT_STACKS_DIR;
  const projectRel = inside(top, options.projectRoot ?? PROJECT_ROOT);
  const stacksRel = inside(top, stacksDir);
  // Everything the program can read: its own files, the catalog and the stack files.
  const specs = [servicesRel, stacksRel, projectRel]
    .filter((p): p is string => p !== undefined)
    .map((p) => (p === "" ? "." : p));
  const changed = changedPaths(top, ref, [...new Set(specs)]);

  const under = (file: string, dir: string | undefined): string | undefined =>
    dir === undefined
      ? undefined
      : dir === ""
        ? file
        : file.startsWith(`${dir}/`)
          ? file.slice(dir.length + 1)
          : undefined;
  const sharedChanges: string[] = [];
  const changedEntries = new Set<string>();
  for (const file of changed) {
    const inCatalog = under(file, servicesRel);
    if (inCatalog !== undefined && !inCatalog.includes("/")) {
      if (inCatalog.endsWith(".yaml")) changedEntries.add(inCatalog.slice(0, -".yaml".length));
      else if (!CATALOG_FILES_OF_NO_SERVICE.has(inCatalog)) sharedChanges.push(file);
      continue;
    }
    if (inCatalog !== undefined || under(file, stacksRel) !== undefined) {
      sharedChanges.push(file);
      continue;
    }
    const inProject = under(file, projectRel);
    if (inProject !== undefined && !NO_SERVICE_PATHS.some((p) => p.pattern.test(inProject))) {
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
    return `changed since ${selection.ref}: planning all ${total} services, 0 skipped (${shown}${more} changed, which may affect every service)`;
  }
  const removed = selection.changedEntries.length - selection.selected.length;
  const removedNote =
    removed > 0 ? `; ${removed} changed entr${removed === 1 ? "y was" : "ies were"} removed` : "";
  return `changed since ${selection.ref}: planning ${selection.selected.length} of ${counted(total, "service")}, ${selection.skipped} skipped (their entry files did not change and nothing else that may affect them did${removedNote})`;
}

/**
 * Loads and validates the whole catalog, then selects what changed since `ref`: validation stays
 * global (duplicates, shards), only the planning is narrowed.
 */
export function selectForPlan(
  ref: string,
  options: ChangedSinceOptions = {},
): { selection: ChangeSelection; total: number; catalog: CatalogFile[] } {
  // A folder outside git or an unknown ref is refused before the whole catalog is read.
  verifyRef(gitTopLevel(options.servicesDir ?? DEFAULT_SERVICES_DIR), ref);
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
