/**
 * npm run validate -- [--services DIR] [--stacks DIR] [--format text|json|github]
 *
 * Validates the stack files and the whole catalog, with the same messages and exit codes as the
 * plan: 0 valid, 1 invalid (every problem), 2 usage error.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as path from "path";
import { CommandSpec, helpText, parseCommandLine, runMain, UsageError } from "./command";
import { CatalogError, parseProblem, Problem } from "../catalog/errors";
import { loadCatalog } from "../catalog/load";
import { formatProblems, REPORT_FORMATS, ReportFormat } from "../catalog/report";
import { SettingsError } from "../catalog/settings";
import {
  DEFAULT_SERVICES_DIR,
  DEFAULT_STACKS_DIR,
  displayPath,
  stacksOrThrow,
} from "../catalog/stacks";
import { counted } from "../lib/plural";

export const VALIDATE_COMMAND = {
  command: "npm run validate --",
  summary: "Validates the stack files and every catalog entry, reporting all problems at once.",
  options: {
    services: {
      type: "string",
      value: "DIR",
      description: "folder of the catalog entries",
      default: "services/",
      example: "--services ./my-services",
    },
    stacks: {
      type: "string",
      value: "DIR",
      description: "folder of the stack files",
      default: "stacks/",
      example: "--stacks ./stacks",
    },
    format: {
      type: "string",
      value: "FORMAT",
      description: [
        "how problems are printed: text (one line per problem on stderr:",
        "<file>:<line>: <field>: <message>), json (an array of {file, line, column, field, message}",
        "on stdout, [] when valid) or github (one ::error workflow command per problem on stdout:",
        "GitHub Actions annotations)",
      ].join(" "),
      default: "text",
      example: "--format github",
    },
  },
  exitCodes: "0 valid, 1 invalid (every problem is printed), 2 usage error",
  examples: ["npm run validate", "npm run validate -- --services services --format github"],
} as const satisfies CommandSpec;

export const HELP = helpText(VALIDATE_COMMAND);

export interface ValidateOptions {
  services?: string;
  stacks?: string;
  format: ReportFormat;
  help: boolean;
}

/** Reads the command line; a UsageError for anything it does not know. */
export function parseValidateArgs(argv: string[]): ValidateOptions {
  const args = parseCommandLine(VALIDATE_COMMAND, argv);
  if (args === "help") return { format: "text", help: true };
  const format = args.values.format ?? "text";
  if (!(REPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format ${format}: expected one of ${REPORT_FORMATS.join(", ")}`);
  }
  return {
    services: args.values.services,
    stacks: args.values.stacks,
    format: format as ReportFormat,
    help: false,
  };
}

/** Stacks and catalog from the folders given; a missing folder is a usage error naming its flag. */
function loadFolders(options: ValidateOptions) {
  const servicesDir = path.resolve(options.services ?? DEFAULT_SERVICES_DIR);
  const stacksDir = path.resolve(options.stacks ?? DEFAULT_STACKS_DIR);
  for (const [flag, dir] of [
    ["services", servicesDir],
    ["stacks", stacksDir],
  ]) {
    if (!fs.existsSync(dir)) throw new UsageError(`--${flag} ${dir}: no such folder`);
  }
  const stacks = stacksOrThrow(stacksDir);
  return { servicesDir, stacks, catalog: loadCatalog(servicesDir, stacks) };
}

/** The problems of a refused catalog or stack folder, located; undefined for any other error. */
function problemsOf(error: unknown): Problem[] | undefined {
  if (error instanceof CatalogError) return error.details;
  if (error instanceof SettingsError) return error.problems.map(parseProblem);
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const options = parseValidateArgs(argv);
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  let loaded: ReturnType<typeof loadFolders>;
  try {
    loaded = loadFolders(options);
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

if (require.main === module) runMain(VALIDATE_COMMAND, main);
