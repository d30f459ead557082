/**
 * npm run catalog -- --out DIR [--stack STACK] [--outputs [STACK=]FILE ...] [--services DIR]
 *
 * Writes DIR/index.html: the service catalog page (every service, its template, schedules, team
 * and owners, and where each environment runs it), self-contained. Exit 0, 1 on an invalid
 * catalog, 2 on a usage error or a wrong outputs file.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "node:util";
import { buildCatalogPage } from "../offline/catalog-page/build";
import { CatalogPageError } from "../offline/catalog-page/errors";
import { displayPath } from "../catalog/stacks";
import {
  CommandSpec,
  exitCodeFor,
  helpText,
  ReportContext,
  UsageError,
  usageLine,
} from "./command";

export const SPEC = {
  command: "npm run catalog --",
  summary:
    "Writes DIR/index.html, the service catalog page: every service with its template, schedules\n" +
    "(cron and in words), team and owners, and per stack what runs there. Without --outputs it\n" +
    "shows what the offline plan declares, names only and marked planned; with a stack's outputs\n" +
    "it links the real Databricks jobs, MLflow experiment, model (and champion version), ECR\n" +
    "repository and buckets. An outputs file names its stack (prod=FILE) or is matched to the one\n" +
    "stack of its environment.",
  options: {
    out: {
      type: "string",
      value: "DIR",
      default: "none (required)",
      description: "folder to write index.html to (created when missing)",
      example: "--out out/catalog",
      required: true,
    },
    stack: {
      type: "string",
      value: "STACK",
      default: "every stack in stacks/",
      description: "show only this stack",
      example: "--stack prod",
    },
    outputs: {
      type: "string",
      value: "[STACK=]FILE",
      default: "none: planned names, no links",
      description: "a stack's `pulumi stack output --json` (repeatable: one per stack)",
      example: "--outputs prod=prod-outputs.json",
    },
    services: {
      type: "string",
      value: "DIR",
      default: "services/",
      description: "catalog folder to read",
      example: "--services ./my-services",
    },
  },
  exitCodes: "0 written, 1 invalid catalog or stack settings, 2 usage error or wrong outputs file",
  examples: [
    "npm run catalog -- --out out/catalog",
    "npm run catalog -- --stack prod --out out/prod",
    "pulumi stack output --json --show-secrets=false --stack prod > prod.json && npm run catalog -- --outputs prod=prod.json --out out/catalog",
  ],
} as const satisfies CommandSpec;

/** The option each domain input comes from. */
const OPTION_OF: Record<CatalogPageError["input"], string> = {
  stack: "--stack",
  outputs: "--outputs",
  services: "--services",
};

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  env: process.env,
};

/** Parses the command line: --outputs repeats, so node's parseArgs takes it with `multiple`. */
function parseCommandLine(argv: string[]) {
  try {
    // https://nodejs.org/api/util.html#utilparseargsconfig: strict throws on unknown options and
    // missing values; `multiple: true` collects every use of an option into an array.
    return parseArgs({
      args: argv,
      options: {
        out: { type: "string" },
        stack: { type: "string" },
        outputs: { type: "string", multiple: true },
        services: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0].split(/\.(?:\s|$)/)[0]);
  }
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const end = argv.indexOf("--");
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => a === "--help" || a === "-h")) {
    io.out(`${helpText(SPEC)}\n`);
    return 0;
  }
  const parsed = parseCommandLine(argv);
  const once = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option" || token.name === "outputs") continue;
    if (once.has(token.name)) throw new UsageError(`${token.rawName} given twice`);
    once.add(token.name);
  }
  const { out, stack, outputs, services } = parsed.values;
  if (!out) throw new UsageError(`--out is required (e.g. ${SPEC.options.out.example})`);
  if (services !== undefined && !fs.existsSync(services)) {
    throw new UsageError(`--services ${services}: no such folder`);
  }
  let html: string;
  try {
    html = await buildCatalogPage({
      stack,
      servicesDir: services && path.resolve(services),
      outputs: outputs ?? [],
    });
  } catch (e) {
    if (e instanceof CatalogPageError) {
      throw new UsageError(`${OPTION_OF[e.input]} ${e.value}: ${e.detail}`);
    }
    throw e;
  }
  fs.mkdirSync(out, { recursive: true });
  const file = path.join(out, "index.html");
  fs.writeFileSync(file, html);
  io.out(`wrote ${displayPath(path.resolve(file))}\n`);
  return 0;
}

/** main as a command: its exit code, or the code of the error it threw, after one message. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    const ctx: ReportContext = { err: io.err, env: io.env };
    return exitCodeFor(error, usageLine(SPEC), ctx, "written");
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
