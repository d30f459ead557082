/**
 * npm run validate -- [--services DIR] [--stacks DIR] [--format text|json|github]
 *
 * Validates the stack files and the whole catalog, with the same messages and exit codes as the
 * plan: 0 valid, 1 invalid (every problem), 2 usage error.
 */
// node:util parseArgs (Node 18.3+): nodejs.org/api/util.html#utilparseargsconfig; strict throws on
// unknown options and on a missing value (codes ERR_PARSE_ARGS_*).
import { parseArgs } from "util";
import { UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { loadCatalogFromFlags } from "../lib/cli-catalog";
import { CatalogError, parseProblem, Problem } from "../lib/catalog/errors";
import { formatProblems, REPORT_FORMATS, ReportFormat } from "../lib/catalog/report";
import { SettingsError } from "../lib/settings";
import { displayPath } from "../lib/stacks";
import { counted } from "../lib/plural";

const USAGE =
  "usage: npm run validate -- [--services DIR] [--stacks DIR] [--format text|json|github]";

export const HELP = `${USAGE}

Validates the stack files and every catalog entry, reporting all problems at once.
Exit codes: 0 valid, 1 invalid, 2 usage error.

options:
  --services DIR    folder of the catalog entries (default: services/)
  --stacks DIR      folder of the stack files (default: stacks/)
  --format FORMAT   how problems are printed (default: text):
                      text    one line per problem on stderr: <file>:<line>: <field>: <message>
                      json    an array of {file, line, column, field, message} on stdout ([] when valid)
                      github  one ::error workflow command per problem on stdout (GitHub Actions annotations)
  -h, --help        print this help

example:
  npm run validate -- --services services --format github
`;

export interface ValidateOptions {
  services?: string;
  stacks?: string;
  format: ReportFormat;
  help: boolean;
}

/** Reads the command line; a UsageError for anything it does not know. */
export function parseValidateArgs(argv: string[]): ValidateOptions {
  let values: { services?: string; stacks?: string; format?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        services: { type: "string" },
        stacks: { type: "string" },
        format: { type: "string", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const format = values.format ?? "text";
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format ${format}: expected one of ${REPORT_FORMATS.join(", ")}`);
  }
  return {
    services: values.services,
    stacks: values.stacks,
    format: format as ReportFormat,
    help: values.help ?? false,
  };
}

/** The problems of a refused catalog or stack folder, located; undefined for any other error. */
function problemsOf(error: unknown): Problem[] | undefined {
  if (error instanceof CatalogError) return error.details;
  if (error instanceof SettingsError) return error.problems.map(parseProblem);
  return undefined;
}

export function main(argv: string[]): number {
  const options = parseValidateArgs(argv);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flags: Record<string, string> = {};
  if (options.services !== undefined) flags.services = options.services;
  if (options.stacks !== undefined) flags.stacks = options.stacks;
  let loaded: ReturnType<typeof loadCatalogFromFlags>;
  try {
    loaded = loadCatalogFromFlags({ flags, positionals: [] });
  } catch (error) {
    const problems = problemsOf(error);
    // Text keeps the plan's report (stderr, with its header); the machine formats go to stdout.
    if (!problems || options.format === "text") throw error;
    process.stdout.write(formatProblems(problems, options.format));
    return 1;
  }
  const { servicesDir, stacks, catalog } = loaded;
  if (options.format === "json") {
    process.stdout.write(formatProblems([], "json"));
    return 0;
  }
  if (options.format === "github") return 0;
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
