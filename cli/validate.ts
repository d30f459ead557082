/**
 * npm run validate -- [--services DIR] [--stacks DIR]
 *
 * Validates the stack files and the whole catalog, with the same messages and exit codes as the
 * plan: 0 valid, 1 invalid (one line per problem), 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../lib/catalog/load";
import { parseArgs, stringFlag, UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { stacksOrThrow } from "../lib/plan/run";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, displayPath } from "../lib/stacks";

const USAGE = "usage: npm run validate -- [--services DIR] [--stacks DIR]";

export function main(argv: string[]): number {
  const args = parseArgs(argv, { services: { value: true }, stacks: { value: true } });
  const servicesDir = path.resolve(stringFlag(args, "services") ?? DEFAULT_SERVICES_DIR);
  const stacksDir = path.resolve(stringFlag(args, "stacks") ?? DEFAULT_STACKS_DIR);
  for (const [flag, dir] of [
    ["services", servicesDir],
    ["stacks", stacksDir],
  ]) {
    if (!fs.existsSync(dir)) throw new UsageError(`--${flag} ${dir}: no such folder`);
  }
  const stacks = stacksOrThrow(stacksDir);
  const catalog = loadCatalog(servicesDir, stacks);
  const perStack = stacks.map((s) => {
    const count = catalog.filter((f) =>
      f.entry.environments.includes(s.settings.environment),
    ).length;
    return `${s.stack} (${s.settings.environment}): ${count}`;
  });
  process.stdout.write(
    `catalog valid: ${catalog.length} services in ${displayPath(servicesDir)}; services per stack: ${perStack.join(", ")}\n`,
  );
  return 0;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    reportAndExit(error, USAGE);
  }
}
