/**
 * npm run new-stack -- --name <stack> --secrets-provider <provider> [--from <stack>] [--no-init]
 *                      --<setting> <value> ...
 *
 * Creates a new environment stack without asking anything: writes stacks/Pulumi.<stack>.yaml,
 * creates the stack in the backend (unless --no-init) and prints the commands that set its
 * secrets. Exit 0 on success, 1 on a problem the user fixes, 2 on a usage error.
 */
import { runNewStackCommand } from "../lib/deploy/new-stack";
import { defaultDeployContext } from "./deploy";

if (require.main === module) {
  runNewStackCommand(process.argv.slice(2), defaultDeployContext()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
