/**
 * npm run render -- <service> --out DIR [--stack STACK] [--services DIR] [--stacks DIR]
 *
 * Writes the repository the platform would scaffold for one service, for inspection. Offline:
 * the AWS account id is the placeholder 000000000000. Exit codes: 0 written, 1 unknown service or
 * invalid catalog (one line per problem, no stack trace), 2 usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveService } from "../lib/catalog/resolve";
import { parseArgs, stringFlag, UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { loadCatalogFromFlags } from "../lib/cli-catalog";
import { platformNames } from "../lib/names";
import { OFFLINE_ACCOUNT_ID } from "../lib/plan/mock-engine";
import { baseImageTag, renderServiceRepository, RenderError } from "../lib/render";
import { displayPath } from "../lib/stacks";

export const USAGE =
  "usage: npm run render -- <service> --out DIR [--stack STACK] [--services DIR] [--stacks DIR]";

export interface RenderCliResult {
  files: number;
  outDir: string;
  stack: string;
}

/** Writes the files and returns what was written; throws UsageError/CatalogError/RenderError. */
export function renderCommand(argv: string[]): RenderCliResult {
  const args = parseArgs(
    argv,
    {
      out: { value: true },
      stack: { value: true },
      services: { value: true },
      stacks: { value: true },
    },
    1,
  );
  const serviceName = args.positionals[0];
  if (!serviceName) throw new UsageError("missing the service name");
  const out = stringFlag(args, "out");
  if (!out) throw new UsageError("missing --out DIR");
  const { servicesDir, stacks, catalog } = loadCatalogFromFlags(args);
  const file = catalog.find((f) => f.entry.name === serviceName);
  if (!file) {
    const known = catalog.map((f) => f.entry.name).sort();
    throw new RenderError(
      `unknown service "${serviceName.slice(0, 100)}" in ${displayPath(servicesDir)} (known: ${known.join(", ") || "none"})`,
    );
  }
  const entry = file.entry;
  const stackName = stringFlag(args, "stack");
  const stack = stackName
    ? stacks.find((s) => s.stack === stackName)
    : // The stack of the source environment renders the repository when the platform deploys.
      stacks.find((s) => s.settings.environment === entry.environments[0]);
  if (!stack) {
    throw new UsageError(
      `--stack ${stackName}: no such stack (known: ${stacks.map((s) => s.stack).join(", ")})`,
    );
  }
  if (!entry.environments.includes(stack.settings.environment)) {
    throw new RenderError(
      `${file.file}: environments: ${entry.name} is not deployed in ${stack.settings.environment} (stack ${stack.stack}); it lists ${entry.environments.join(", ")}`,
    );
  }
  const settings = stack.settings;
  const baseImage = `${OFFLINE_ACCOUNT_ID}.dkr.ecr.${settings.awsRegion}.amazonaws.com/${platformNames(settings.environment, settings.namePrefix).baseImageRepository}:${baseImageTag()}`;
  const files = renderServiceRepository(resolveService(entry, settings), settings, {
    baseImage,
    accountId: OFFLINE_ACCOUNT_ID,
  });
  const outDir = path.resolve(out);
  for (const rendered of files) {
    const target = path.join(outDir, rendered.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, rendered.content);
  }
  return { files: files.length, outDir, stack: stack.stack };
}

export function main(argv: string[]): number {
  const result = renderCommand(argv);
  process.stdout.write(
    `wrote ${result.files} files to ${displayPath(result.outDir)} (stack ${result.stack}, account ${OFFLINE_ACCOUNT_ID})\n`,
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
