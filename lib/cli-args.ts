/**
 * Deprecated: the command line lives in cli/command.ts (a declarative table per command, parsed by
 * node's util.parseArgs, with generated --help). This adapter keeps the entry points that have not
 * moved yet (cli/validate.ts, cli/render.ts, cli/catalog-page.ts, bench/run.ts) working on the
 * same parser and the same UsageError; remove it once they import cli/command.ts.
 */
import { parseArgs as parseNodeArgs } from "node:util";
import { UsageError } from "../cli/command";

export { UsageError };

export interface FlagSpec {
  /** Takes a value (`--stack dev`) or is a switch (`--yes`). */
  value: boolean;
}

export interface ParsedArgs {
  flags: Record<string, string | true>;
  positionals: string[];
}

export function parseArgs(
  argv: string[],
  spec: Record<string, FlagSpec>,
  maxPositionals = 0,
): ParsedArgs {
  const options = Object.fromEntries(
    Object.entries(spec).map(([name, f]) => [
      name,
      { type: f.value ? ("string" as const) : ("boolean" as const) },
    ]),
  );
  let parsed;
  try {
    // https://nodejs.org/api/util.html#utilparseargsconfig (strict: unknown options and missing values throw)
    parsed = parseNodeArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0].split(/\.(?:\s|$)/)[0]);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} given twice`);
    seen.add(token.name);
  }
  const flags: Record<string, string | true> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === true || typeof value === "string") flags[name] = value;
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[maxPositionals]}"`);
  }
  return { flags, positionals: parsed.positionals };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}
