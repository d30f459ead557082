/** How every entry point reports failure: exit 1 for user errors (no stack trace), 2 for usage. */
import { CatalogError } from "./catalog/errors";
import { UsageError } from "./cli-args";
import { SettingsError } from "./settings";

export function reportAndExit(error: unknown, usage: string): never {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n${usage}\n`);
    process.exit(2);
  }
  if (error instanceof CatalogError || error instanceof SettingsError) {
    const problems = error.problems;
    process.stderr.write(
      `error: the catalog or stack settings are invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was planned:\n${problems.join("\n")}\n`,
    );
    process.exit(1);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.MLPLATFORM_DEBUG && error instanceof Error)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
