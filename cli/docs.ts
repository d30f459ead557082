/**
 * npm run docs [-- --check]: regenerates the README's reference tables (offline/reference-docs.ts)
 * and Pulumi.yaml's project `config:` block (offline/project-config.ts) from the code; with --check
 * writes nothing and exits 1 naming the stale sections.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../lib/project-root";
import { CommandSpec, parseCommandLine, printHelp, runMain, switchOption } from "./command";

export const DOCS_COMMAND = {
  command: "npm run docs --",
  summary: [
    "Regenerates the README's reference tables (the <!-- generated:NAME --> blocks: stack",
    "settings, catalog fields, catalog limits) from catalog/settings.ts and services/schema.json,",
    "and the config: block of Pulumi.yaml (the settings' types, descriptions and defaults)",
    "from catalog/settings.ts; the rest of Pulumi.yaml is kept as it is.",
  ].join("\n"),
  options: {
    check: switchOption(
      "--check",
      "write nothing; exit 1 naming each stale section (for CI)",
      "off: rewrite README.md",
    ),
    readme: {
      type: "string",
      value: "FILE",
      description: "the README to regenerate",
      default: "README.md of the project",
      example: "--readme ./README.md",
    },
    project: {
      type: "string",
      value: "FILE",
      description: "the Pulumi project file whose generated config: block to regenerate",
      default: "Pulumi.yaml of the project",
      example: "--project ./Pulumi.yaml",
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
  const project = path.resolve(args.values.project ?? path.join(PROJECT_ROOT, "Pulumi.yaml"));
  // Loaded after the arguments: the schema and settings are not needed for --help.
  const { regenerate } = await import("../offline/reference-docs");
  const { regenerateProjectFile } = await import("../offline/project-config");
  const targets = [
    {
      file: readme,
      what: "reference tables",
      build: (text: string) => regenerate(text),
      stale: staleSections,
    },
    {
      file: project,
      what: "config block",
      build: (text: string) => regenerateProjectFile(text, shownPath(project)),
      stale: () => ["project-config"],
    },
  ];
  let code = 0;
  for (const target of targets) {
    const shown = shownPath(target.file);
    const before = fs.readFileSync(target.file, "utf8");
    const after = target.build(before);
    if (after === before) {
      out(`${shown}: ${target.what} already up to date\n`);
    } else if (args.values.check) {
      const stale = target.stale(before, after);
      err(
        `error: ${shown}: stale generated section${stale.length === 1 ? "" : "s"}: ${stale.join(", ")} (run npm run docs); nothing was written\n`,
      );
      code = 1;
    } else {
      fs.writeFileSync(target.file, after);
      out(`${shown}: ${target.what} updated\n`);
    }
  }
  return code;
}

/** A path relative to the working directory when it lies below it. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith("..") ? relative : file;
}

if (require.main === module) runMain(DOCS_COMMAND, main);
