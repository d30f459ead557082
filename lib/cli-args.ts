/** A small, strict argument parser shared by the command-line entry points. */

export class UsageError extends Error {}

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
  const flags: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith("--")) {
      const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2);
      const flag = spec[rawName];
      if (!flag) throw new UsageError(`unknown option --${rawName}`);
      if (rawName in flags) throw new UsageError(`--${rawName} given twice`);
      if (flag.value) {
        const value = inline ?? argv[++i];
        if (value === undefined || (inline === undefined && value.startsWith("--"))) {
          throw new UsageError(`--${rawName} needs a value`);
        }
        flags[rawName] = value;
      } else {
        if (inline !== undefined) throw new UsageError(`--${rawName} takes no value`);
        flags[rawName] = true;
      }
    } else {
      positionals.push(arg);
    }
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument "${positionals[maxPositionals]}"`);
  }
  return { flags, positionals };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}
