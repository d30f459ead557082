/**
 * How tests run a TypeScript entry point (a `cli/*.ts` command) in a child process: node with
 * tests/helpers/ts-register.js, the transpile-only loader `ts-node/register/transpile-only` would
 * be, with the transpiled files cached on disk across the suite's child processes.
 */
import * as path from "path";

/** The require hook (plain JavaScript, so node can load it before any TypeScript). */
export const TS_REGISTER = path.join(__dirname, "ts-register.js");

/** Node's arguments that run `entry` (a .ts file, relative to the child's cwd) with `args`. */
export function tsNodeArgs(entry: string, args: readonly string[] = []): string[] {
  return ["-r", TS_REGISTER, entry, ...args];
}
