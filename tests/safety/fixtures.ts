/** Catalogs written to temporary folders, validated in-process or through the real commands. */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CatalogError } from "../../catalog/errors";
import { loadCatalog } from "../../catalog/load";
import { CatalogFile } from "../../catalog/types";
import { readStacks, StackInfo } from "../../catalog/stacks";
import { compiledCommand } from "../cli/compiled";

export const REPO = path.join(__dirname, "..", "..");
export const STACKS_DIR = path.join(REPO, "stacks");
export const EXAMPLES_DIR = path.join(REPO, "services");

/** A valid entry; the line of each field is fixed (tests below rely on it). */
export const VALID_ENTRY = [
  "name: churn-model", // 1
  "description: Predicts which customers will cancel.", // 2
  "team: growth", // 3
  "owners: [ann-ml]", // 4
  "environments: [dev]", // 5
  "training:", // 6
  '  schedule: "0 3 * * 1"', // 7
  "notifications:", // 8
  "  emails: [growth-ml@acme-ml.example]", // 9
  "",
].join("\n");

/** VALID_ENTRY with one line replaced (1-based), or removed when `text` is undefined. */
export function withLine(line: number, text: string | undefined, entry = VALID_ENTRY): string {
  const lines = entry.split("\n");
  if (text === undefined) lines.splice(line - 1, 1);
  else lines[line - 1] = text;
  return lines.join("\n");
}

let stacksCache: StackInfo[] | undefined;
/** The project's stacks (dev and prod). */
export function projectStacks(): StackInfo[] {
  stacksCache ??= readStacks(STACKS_DIR);
  return stacksCache;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** Writes a catalog folder: file name to content (string or bytes). */
export function writeCatalog(files: Record<string, string | Uint8Array>): string {
  const dir = tempDir("catalog");
  for (const [name, content] of Object.entries(files))
    fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

/** The problems loadCatalog reports for a folder; fails the test when it accepts the folder. */
export function problemsOf(dir: string, stacks: StackInfo[] = projectStacks()): string[] {
  let accepted: CatalogFile[];
  try {
    accepted = loadCatalog(dir, stacks);
  } catch (e) {
    if (e instanceof CatalogError) return e.problems;
    throw e;
  }
  throw new Error(`the catalog in ${dir} was accepted: ${accepted.map((f) => f.file).join(", ")}`);
}

/** A stacks folder holding a copy of stacks/Pulumi.dev.yaml with some settings replaced. */
export function stacksWith(settings: Record<string, string>, stack = "dev"): string {
  const dir = tempDir("stacks");
  let text = fs.readFileSync(path.join(STACKS_DIR, "Pulumi.dev.yaml"), "utf8");
  for (const [key, value] of Object.entries(settings)) {
    const pattern = new RegExp(`^(  mlplatform:${key}:).*$`, "m");
    if (!pattern.test(text)) throw new Error(`Pulumi.dev.yaml has no ${key}`);
    text = text.replace(pattern, `$1 ${value}`);
  }
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
  return dir;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command as a child process, as `npm run <name>` does: the compiled entry point
 * (dist/cli/<name>.js, built when a source is newer).
 */
export function runCli(
  name: "validate" | "plan",
  args: string[],
  env: NodeJS.ProcessEnv = {},
): CliResult {
  const result = spawnSync(process.execPath, [compiledCommand(name), ...args], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The problem lines of a failed command (every stderr line after the "error:" header). */
export function problemLines(stderr: string): string[] {
  const lines = stderr.split("\n").filter((l) => l !== "");
  const header = lines.findIndex((l) => l.startsWith("error: "));
  if (header < 0) throw new Error(`no error header in:\n${stderr}`);
  return lines.slice(header + 1);
}
