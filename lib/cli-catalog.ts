/**
 * The catalog and stacks as the command-line entry points load them from --services/--stacks.
 * Used by cli/validate.ts and cli/render.ts with the deprecated lib/cli-args.ts adapter; moves to
 * cli/ when they adopt cli/command.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "./catalog/load";
import { CatalogFile } from "./catalog/types";
import { ParsedArgs, stringFlag, UsageError } from "./cli-args";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, StackInfo, stacksOrThrow } from "./stacks";

export interface LoadedCatalog {
  servicesDir: string;
  stacksDir: string;
  stacks: StackInfo[];
  catalog: CatalogFile[];
}

/** Validates stacks and catalog; a missing folder is a usage error, an invalid entry a CatalogError. */
export function loadCatalogFromFlags(args: ParsedArgs): LoadedCatalog {
  const servicesDir = path.resolve(stringFlag(args, "services") ?? DEFAULT_SERVICES_DIR);
  const stacksDir = path.resolve(stringFlag(args, "stacks") ?? DEFAULT_STACKS_DIR);
  for (const [flag, dir] of [
    ["services", servicesDir],
    ["stacks", stacksDir],
  ]) {
    if (!fs.existsSync(dir)) throw new UsageError(`--${flag} ${dir}: no such folder`);
  }
  const stacks = stacksOrThrow(stacksDir);
  return { servicesDir, stacksDir, stacks, catalog: loadCatalog(servicesDir, stacks) };
}
