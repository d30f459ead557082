/** Reads the stack files in stacks/ (plain settings only; secrets stay with Pulumi). */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CatalogError } from "./errors";
import { PROJECT_ROOT } from "../lib/project-root";
import { plainCredentialProblems } from "./stack-config";
import { CONFIG_NAMESPACE, parseSettings, SettingsError, StackSettings } from "./settings";

export interface StackInfo {
  stack: string;
  /** Path as shown to users. */
  file: string;
  settings: StackSettings;
  /** Raw config of the file (every namespace), as Pulumi would hand it to the program. */
  config: Record<string, unknown>;
}

const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$/;

export { PROJECT_ROOT };
export const DEFAULT_STACKS_DIR = path.join(PROJECT_ROOT, "stacks");
export const DEFAULT_SERVICES_DIR = path.join(PROJECT_ROOT, "services");

/** Shows a path relative to the working directory when it lies below it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/** A seam for commands that read stack files with one local exception (the rollback's tests). */
export interface ReadStackOptions {
  /**
   * Sees the plain `mlplatform:` values before validation (and may replace some); what it
   * returns is applied to the validated settings. Defaults to none.
   */
  beforeValidation?: (
    values: Record<string, unknown>,
  ) => ((settings: StackSettings) => void) | undefined;
}

export function readStackFile(file: string, options: ReadStackOptions = {}): StackInfo {
  const stack = STACK_FILE.exec(path.basename(file))?.[1];
  const shown = displayPath(file);
  if (!stack) throw new SettingsError([`${shown}: not a stack file name (Pulumi.<stack>.yaml)`]);
  let doc: unknown;
  try {
    doc = YAML.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: 50 });
  } catch (e) {
    throw new SettingsError([`${shown}: not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
  }
  const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new SettingsError([`${shown}: config: must be a mapping`]);
  }
  // Provider credentials (aws:secretKey, github:token, ...) in plain text: refused, file and key named.
  const leaked = plainCredentialProblems(config as Record<string, unknown>, shown);
  if (leaked.length > 0) throw new SettingsError(leaked);
  const ours: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${CONFIG_NAMESPACE}:`))
      ours[key.slice(CONFIG_NAMESPACE.length + 1)] = value;
  }
  const after = options.beforeValidation?.(ours);
  const settings = parseSettings(stack, ours, shown);
  after?.(settings);
  return { stack, file: shown, settings, config };
}

/** Every stack in the folder, sorted by name; all problems of all files reported at once. */
export function readStacks(
  dir: string = DEFAULT_STACKS_DIR,
  options: ReadStackOptions = {},
): StackInfo[] {
  const problems: string[] = [];
  const stacks: StackInfo[] = [];
  let names: string[];
  try {
    names = fs
      .readdirSync(dir)
      .filter((f) => STACK_FILE.test(f))
      .sort();
  } catch {
    throw new SettingsError([`${displayPath(dir)}: cannot read the stacks folder`]);
  }
  for (const name of names) {
    try {
      stacks.push(readStackFile(path.join(dir, name), options));
    } catch (e) {
      if (e instanceof SettingsError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length > 0) throw new SettingsError(problems);
  if (stacks.length === 0)
    throw new SettingsError([`${displayPath(dir)}: no stack files (Pulumi.<stack>.yaml)`]);
  return stacks;
}

/** The stack files, or a CatalogError naming their problems (how every command reads them). */
export function stacksOrThrow(dir: string = DEFAULT_STACKS_DIR): StackInfo[] {
  try {
    return readStacks(dir);
  } catch (e) {
    if (e instanceof SettingsError) throw new CatalogError(e.problems);
    throw e;
  }
}
