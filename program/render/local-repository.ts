/**
 * A rendered service repository on disk, as the platform creates it on GitHub: the files, then a
 * Git repository on the default branch with one commit of all of them, by the platform's identity
 * and with the scaffold commit's message (components/repository-content.ts, the `GitCommit`
 * `<name>-scaffold`). Never deletes a file, and never writes into a non-empty folder unless told.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../lib/input-error";
import { RenderError } from "./context";
import { RenderedFile } from "./render";

/** The scaffold commit of a service repository: RepositoryContent's message and default author. */
export const SCAFFOLD_COMMIT = {
  message: "Scaffold the service from the ML platform template",
  authorName: "ML platform",
  authorEmail: "ml-platform@users.noreply.github.com",
} as const;

/** The output folder cannot take the files as asked (not empty without force, not a folder). */
export class OutputFolderError extends InputError {}

export interface WriteOptions {
  /** Write into a non-empty folder: files of the same path are overwritten, no file is deleted. */
  force?: boolean;
  /** Branch of the new repository's first commit (the stack's githubDefaultBranch). */
  branch: string;
}

export interface WrittenRepository {
  dir: string;
  files: number;
  /** The first commit, when a Git repository was initialised; undefined in an existing one. */
  commit?: { sha: string; branch: string; message: string };
  /** The folder was already a Git repository: the files are written and left uncommitted. */
  existingRepository: boolean;
}

/** Entries of a folder, or undefined when it does not exist. */
function entriesOf(dir: string): string[] | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) {
    throw new OutputFolderError(
      `${dir}: exists and is not a folder; choose a folder to render into`,
    );
  }
  return fs.readdirSync(dir);
}

/**
 * git with this process's environment minus every GIT_* variable (GIT_AUTHOR_NAME and GIT_DIR
 * would override the identity and the repository), and without the user's global and system
 * configuration (GIT_CONFIG_GLOBAL=/dev/null, git 2.32: git/git Documentation/git-config.txt,
 * ENVIRONMENT, commit 4179b48; GIT_CONFIG_NOSYSTEM): no identity, signing, template or hook
 * setting of theirs applies to the platform's commit.
 */
function git(dir: string, args: string[]): string {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("GIT_")) env[key] = value;
  }
  env.GIT_CONFIG_GLOBAL = "/dev/null";
  env.GIT_CONFIG_NOSYSTEM = "1";
  const result = spawnSync("git", args, { cwd: dir, env, encoding: "utf8" });
  if (result.error) {
    throw new RenderError(
      `git cannot run (${result.error.message}): the files are written to ${dir} but not committed; install git, or commit them yourself`,
    );
  }
  if (result.status !== 0) {
    const said = `${result.stderr}${result.stdout}`.trim().split("\n")[0];
    throw new RenderError(
      `git ${args[0]} failed in ${dir}: ${said} (the files are written but not committed)`,
    );
  }
  return result.stdout.trim();
}

/**
 * Writes the files into `dir` (created when missing) and, unless `dir` already is a Git
 * repository, initialises one on `branch` with one commit of exactly these files.
 * Throws OutputFolderError for a non-empty folder without `force`.
 */
export function writeRenderedRepository(
  dir: string,
  files: readonly RenderedFile[],
  options: WriteOptions,
): WrittenRepository {
  const entries = entriesOf(dir);
  if (entries && entries.length > 0 && !options.force) {
    throw new OutputFolderError(
      `${dir}: the folder is not empty (${entries.length} entr${entries.length === 1 ? "y" : "ies"}); choose a new or empty folder, or write into it with --force (files of the same path are overwritten, no file is deleted)`,
    );
  }
  const existingRepository = entries?.includes(".git") ?? false;
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
  if (existingRepository) return { dir, files: files.length, existingRepository };
  // --initial-branch (git 2.28 and later): git/git Documentation/git-init.txt.
  git(dir, ["init", "--quiet", `--initial-branch=${options.branch}`]);
  // -f: the rendered files are committed whatever the template's .gitignore says, as on GitHub.
  git(dir, ["add", "-f", "--", ...files.map((f) => f.path)]);
  git(dir, [
    "-c",
    `user.name=${SCAFFOLD_COMMIT.authorName}`,
    "-c",
    `user.email=${SCAFFOLD_COMMIT.authorEmail}`,
    "commit",
    "--quiet",
    "--no-verify",
    "-m",
    SCAFFOLD_COMMIT.message,
  ]);
  const sha = git(dir, ["rev-parse", "HEAD"]);
  return {
    dir,
    files: files.length,
    existingRepository,
    commit: { sha, branch: options.branch, message: SCAFFOLD_COMMIT.message },
  };
}
