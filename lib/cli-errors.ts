/**
 * Deprecated: how an entry point reports failure is cli/command.ts exitCodeFor / runMain (exit 2
 * for a wrong command line or input value, 1 for everything else, no stack trace). Kept for the
 * entry points that have not moved yet (cli/validate.ts, cli/render.ts, cli/catalog-page.ts,
 * bench/run.ts).
 */
import { exitCodeFor } from "../cli/command";

export function reportAndExit(error: unknown, usage: string): never {
  process.exit(
    exitCodeFor(error, usage, {
      err: (text) => void process.stderr.write(text),
      env: process.env,
    }),
  );
}
