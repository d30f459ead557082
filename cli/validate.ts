/**
 * npm run validate -- [--services DIR] [--stacks DIR]
 *
 * Validates the stack files and the whole catalog, with the same messages and exit codes as the
 * plan: 0 valid, 1 invalid (one line per problem), 2 usage error.
 */
import { parseArgs } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { loadCatalogFromFlags } from "../lib/cli-catalog";
import { displayPath } from "../lib/stacks";
import { counted } from "../lib/plural";

const USAGE = "usage: npm run validate -- [--services DIR] [--stacks DIR]";

export function main(argv: string[]): number {
  const args = parseArgs(argv, { services: { value: true }, stacks: { value: true } });
  const { servicesDir, stacks, catalog } = loadCatalogFromFlags(args);
  const perStack = stacks.map((s) => {
    const count = catalog.filter((f) =>
      f.entry.environments.includes(s.settings.environment),
    ).length;
    return `${s.stack} (${s.settings.environment}): ${count}`;
  });
  process.stdout.write(
    `catalog valid: ${counted(catalog.length, "service")} in ${displayPath(servicesDir)}; services per stack: ${perStack.join(", ")}\n`,
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
