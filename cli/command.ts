/**
 * The command line of every entry point in cli/: one declarative table per command, parsed by
 * node's own `util.parseArgs` (strict), with `--help` and the usage line generated from the table.
 *
 * How a command adopts it:
 *
 *   const SPEC = {
 *     command: "npm run validate --",
 *     summary: "Validates the catalog and the stack files.",
 *     options: {
 *       services: { type: "string", value: "DIR", default: "services/",
 *                   description: "the catalog folder", example: "--services ./my-services" },
 *       quiet: { type: "boolean", default: "off", description: "print problems only",
 *                example: "--quiet" },
 *     },
 *     exitCodes: "0 valid, 1 invalid (every problem is printed), 2 usage error",
 *     examples: ["npm run validate", "npm run validate -- --services ./my-services"],
 *   } as const satisfies CommandSpec;
 *
 *   export async function main(argv: string[]): Promise<number> {
 *     const args = parseCommandLine(SPEC, argv);    // throws UsageError
 *     if (args === "help") return printHelp(SPEC);   // stdout, exit 0
 *     const dir = args.values.services;               // string | undefined, typed from SPEC
 *     ...
 *   }
 *   if (require.main === module) runMain(SPEC, main);  // exit codes, one-line errors
 *
 * Option names are kebab-case. `required: true` makes the parser refuse a missing option;
 * `deprecated: ["oldName"]` keeps an old spelling working for one release with a warning on
 * stderr (both spellings at once are refused). Library modules never import this file: they take
 * typed options and throw their own errors (subclasses of lib/input-error.ts InputError for a
 * wrong input), which runMain / exitCodeFor map to exit codes.
 */
import { parseArgs } from "node:util";
import { DeployError } from "../deploy/errors";
import { InputError } from "../lib/input-error";
import { SettingsError } from "../catalog/settings";

/** A command line that does not fit the command's table: exit 2, with the usage line. */
export class UsageError extends InputError {}

export interface OptionSpec {
  /** A value (`--stack dev`) or a switch (`--quiet`). */
  readonly type: "string" | "boolean";
  /** What it does, in one line. */
  readonly description: string;
  /** The value's placeholder in the usage line and the help (strings only): STACK, FILE. */
  readonly value?: string;
  /** What applies when the option is not given, as shown in the help ("dev", "off"). */
  readonly default: string;
  /** One use of it, shown in the help: `--stack prod`. */
  readonly example: string;
  /** Refused when missing (checked after --help). */
  readonly required?: boolean;
  /** Old spellings still accepted, with a warning on stderr; removed in the next release. */
  readonly deprecated?: readonly string[];
}

/** A switch, off unless given: `switchOption("--quiet", "print problems only")`. */
export function switchOption(
  example: string,
  description: string,
  whenOff = "off",
): OptionSpec & { readonly type: "boolean" } {
  return { type: "boolean", description, default: whenOff, example };
}

/** `--services DIR`: the catalog folder of the commands that read the catalog. */
export const SERVICES_DIR_OPTION: OptionSpec & { readonly type: "string" } = {
  type: "string",
  value: "DIR",
  description: "the catalog folder",
  default: "services/",
  example: "--services ./my-services",
};

/** `--local`: the state in .pulumi-state/, for the commands that open the Pulumi backend. */
export const LOCAL_STATE_OPTION = switchOption(
  "--local",
  "state in this repository's .pulumi-state/ instead of the team's backend",
  "off: PULUMI_BACKEND_URL, else Pulumi.yaml backend.url, else pulumi login",
);

export interface PositionalSpec {
  /** As shown: `<service>`. */
  readonly name: string;
  readonly description: string;
  readonly default: string;
  readonly example: string;
  readonly required?: boolean;
}

export interface CommandSpec {
  /** How the command is typed, up to its arguments: `npm run plan --`. */
  readonly command: string;
  /** What it does; the help's paragraph (may span lines). */
  readonly summary: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** `0 success, 1 ..., 2 usage error`. */
  readonly exitCodes: string;
  /** Whole command lines. */
  readonly examples: readonly string[];
  /** Extra lines after the exit codes (environment variables...). */
  readonly notes?: readonly string[];
}

type ValueOf<O extends OptionSpec> = O["type"] extends "boolean" ? boolean : string;

export interface ParsedCommandLine<S extends CommandSpec> {
  values: { -readonly [K in keyof S["options"]]?: ValueOf<S["options"][K]> };
  positionals: string[];
  /** Deprecation lines for old spellings that were used (also written to stderr by runMain). */
  warnings: string[];
}

const HELP_FLAGS = new Set(["--help", "-h"]);

/** Optional options beyond this many are shown as `[options]` in the usage line. */
const MAX_LISTED_OPTIONS = 12;

/** The one-line usage: `usage: npm run plan -- [--stack STACK] ... (--help: details)`. */
export function usageLine(spec: CommandSpec): string {
  const parts = (spec.positionals ?? []).map((p) => (p.required ? p.name : `[${p.name}]`));
  const entries = Object.entries(spec.options);
  const optional = entries.filter(([, o]) => !o.required).length;
  for (const [name, option] of entries) {
    const text = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
    if (option.required) parts.push(text);
    else if (optional <= MAX_LISTED_OPTIONS) parts.push(`[${text}]`);
  }
  if (optional > MAX_LISTED_OPTIONS) parts.push("[options]");
  return `usage: ${spec.command} ${parts.join(" ")} (--help: details)`;
}

/** Wraps a usage line at 100 columns, continuing under the command's first argument. */
function wrapUsage(line: string, command: string): string {
  const indent = " ".repeat(`usage: ${command} `.length);
  const lines: string[] = [];
  let current = "";
  for (const word of line.split(/ (?=\[|--|<)/)) {
    if (current && current.length + 1 + word.length > 100) {
      lines.push(current);
      current = indent + word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...lines, current].join("\n");
}

/** The full help: usage, summary, each option with its default and an example, exit codes. */
export function helpText(spec: CommandSpec): string {
  const rows: [string, string, string, string][] = [
    ...(spec.positionals ?? []).map(
      (p) => [p.name, p.description, p.default, p.example] as [string, string, string, string],
    ),
    ...Object.entries(spec.options).map(
      ([name, o]) =>
        [
          o.type === "string" ? `--${name} ${o.value ?? "VALUE"}` : `--${name}`,
          o.description,
          o.default,
          o.example,
        ] as [string, string, string, string],
    ),
    ["-h, --help", "this help", "-", "--help"],
  ];
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  const pad = " ".repeat(width + 2);
  const lines = [
    wrapUsage(usageLine(spec).replace(/ \(--help: details\)$/, ""), spec.command),
    "",
    spec.summary,
    "",
    "options:",
  ];
  for (const [flag, description, fallback, example] of rows) {
    lines.push(`  ${flag.padEnd(width)}${description}`);
    lines.push(`${pad}default: ${fallback}; example: ${example}`);
  }
  const deprecated = Object.entries(spec.options).flatMap(([name, o]) =>
    (o.deprecated ?? []).map((old) => `--${old} (use --${name})`),
  );
  if (deprecated.length > 0) {
    lines.push(
      "",
      `deprecated spellings, accepted until the next release: ${deprecated.join(", ")}`,
    );
  }
  lines.push("", `exit codes: ${spec.exitCodes}`);
  if (spec.notes && spec.notes.length > 0) lines.push(...spec.notes);
  lines.push("", "examples:", ...spec.examples.map((e) => `  ${e}`));
  return lines.join("\n");
}

/** First sentence of a parseArgs error, which names the flag (`Unknown option '--bogus'`). */
function firstSentence(message: string): string {
  return message.split("\n")[0].split(/\.(?:\s|$)/)[0];
}

/**
 * Parses argv against the table (node:util parseArgs, strict), or returns "help" when --help or -h
 * appears before `--` (whatever else is wrong). Throws UsageError naming the flag.
 */
export function parseCommandLine<S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
): ParsedCommandLine<S> | "help" {
  const end = argv.indexOf("--");
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => HELP_FLAGS.has(a))) return "help";
  const canonical = new Map<string, string>();
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    for (const spelling of [name, ...(option.deprecated ?? [])]) {
      options[spelling] = { type: option.type };
      canonical.set(spelling, name);
    }
  }
  const positionalSpecs = spec.positionals ?? [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    // https://nodejs.org/api/util.html#utilparseargsconfig: strict throws on unknown options,
    // missing values and, without allowPositionals, on any positional; tokens list each use.
    parsed = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: positionalSpecs.length > 0,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError(firstSentence((e as Error).message));
  }
  const seen = new Map<string, string>();
  const warnings: string[] = [];
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    const name = canonical.get(token.name) ?? token.name;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new UsageError(
        before === token.rawName
          ? `${token.rawName} given twice`
          : `${before} and ${token.rawName} are the same option (${token.rawName === `--${name}` ? before : token.rawName} is its old spelling): give it once, as --${name}`,
      );
    }
    seen.set(name, token.rawName);
    if (token.name !== name) {
      warnings.push(
        `warning: --${token.name} is deprecated and will be removed in the next release: use --${name}`,
      );
    }
  }
  const values: Record<string, string | boolean | undefined> = {};
  for (const [spelling, value] of Object.entries(parsed.values)) {
    values[canonical.get(spelling) ?? spelling] = value as string | boolean;
  }
  const positionals = parsed.positionals;
  const missing = positionalSpecs.find((p, i) => p.required && positionals[i] === undefined);
  if (missing) throw new UsageError(`missing ${missing.name}`);
  if (positionals.length > positionalSpecs.length) {
    throw new UsageError(`unexpected argument "${positionals[positionalSpecs.length]}"`);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && values[name] === undefined) {
      throw new UsageError(`--${name} is required (e.g. ${option.example})`);
    }
  }
  return { values, positionals, warnings } as ParsedCommandLine<S>;
}

export interface ReportContext {
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

/**
 * The exit code of a failed command, after printing one message (never a stack trace, except for
 * an unexpected error with MLPLATFORM_DEBUG set): 2 for a wrong command line or input value,
 * 1 for everything else a user fixes.
 */
export function exitCodeFor(
  error: unknown,
  usage: string,
  ctx: ReportContext,
  nothingWas = "planned",
): number {
  if (error instanceof InputError) {
    ctx.err(`error: ${error.message}\n${usage}\n`);
    return 2;
  }
  // Required here, on failure only: it loads the Pulumi SDK, which --help has no use for.
  const { CatalogError } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../catalog/errors") as typeof import("../catalog/errors");
  if (error instanceof CatalogError || error instanceof SettingsError) {
    const n = error.problems.length;
    ctx.err(
      `error: the catalog or stack settings are invalid (${n} problem${n === 1 ? "" : "s"}); nothing was ${nothingWas}:\n${error.problems.join("\n")}\n`,
    );
    return 1;
  }
  if (error instanceof DeployError) {
    ctx.err(`error: ${error.problems.join("\n")}\n`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  ctx.err(`error: ${message}\n`);
  if (ctx.env.MLPLATFORM_DEBUG && error instanceof Error) ctx.err(`${error.stack}\n`);
  return 1;
}

const processReport: ReportContext = {
  err: (text) => void process.stderr.write(text),
  env: process.env,
};

/** Writes the help to stdout; the exit code of `--help`. */
export function printHelp(
  spec: CommandSpec,
  out: (text: string) => unknown = (t) => process.stdout.write(t),
): 0 {
  out(`${helpText(spec)}\n`);
  return 0;
}

/** Runs a command's main as the process: its exit code, or the code of the error it threw. */
export function runMain(spec: CommandSpec, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => process.exit(exitCodeFor(error, usageLine(spec), processReport)),
  );
}
