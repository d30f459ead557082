/**
 * npm run docs [-- --check]: regenerates the README's reference tables from the code (see
 * lib/reference-docs.ts); with --check writes nothing and exits 1 naming the stale sections.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-root";
import { CommandSpec, parseCommandLine, printHelp, runMain } from "./command";

export const DOCS_COMMAND = {
  command: "npm run docs --",
  summary: [
    "Regenerates the README's reference tables (the <!-- generated:NAME --> blocks: stack",
    "settings, catalog fields, catalog limits) from lib/settings.ts and services/schema.json.",
  ].join("\n"),
  options: {
    check: {
      type: "boolean",
      description: "write nothing; exit 1 naming each stale section (for CI)",
      default: "off: rewrite README.md",
      example: "--check",
    },
    readme: {
      type: "string",
      value: "FILE",
      description: "the README to regenerate",
      default: "README.md of the project",
      example: "--readme ./README.md",
    },
  },
  exitCodes: "0 up to date (or updated), 1 stale with --check, 2 usage error",
  examples: ["npm run docs", "npm run docs -- --check"],
} as const satisfies CommandSpec;

const BLOCK = /<!-- generated:([a-z-]+) -->([\s\S]*?)<!-- \/generated:\1 -->/g;

/** The generated blocks of a README, by name. */
function blocks(text: string): Map<string, string> {
  return new Map([...text.matchAll(BLOCK)].map((m) => [m[1], m[2]]));
}

/** Names of the generated sections whose text differs between two versions of the README. */
export function staleSections(before: string, after: string): string[] {
  const old = blocks(before);
  return [...blocks(after)].filter(([name, text]) => old.get(name) !== text).map(([n]) => n);
}

export async function main(
  argv: string[],
  out = (t: string) => void process.stdout.write(t),
  err = (t: string) => void process.stderr.write(t),
): Promise<number> {
  const args = parseCommandLine(DOCS_COMMAND, argv);
  if (args === "help") return printHelp(DOCS_COMMAND, out);
  const readme = path.resolve(args.values.readme ?? path.join(PROJECT_ROOT, "README.md"));
  const relative = path.relative(process.cwd(), readme);
  const shown = relative && !relative.startsWith("..") ? relative : readme;
  const before = fs.readFileSync(readme, "utf8");
  // Loaded after the arguments: the schema and settings are not needed for --help.
  const { regenerate } = await import("../lib/reference-docs");
  const after = regenerate(before);
  if (after === before) {
    out(`${shown}: reference tables already up to date\n`);
    return 0;
  }
  if (args.values.check) {
    const stale = staleSections(before, after);
    err(
      `error: ${shown}: stale generated section${stale.length === 1 ? "" : "s"}: ${stale.join(", ")} (run npm run docs); nothing was written\n`,
    );
    return 1;
  }
  fs.writeFileSync(readme, after);
  out(`${shown}: reference tables updated\n`);
  return 0;
}

if (require.main === module) runMain(DOCS_COMMAND, main);
