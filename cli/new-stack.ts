/**
 * npm run new-stack -- --name <stack> --secrets-provider <provider> [--from <stack>] [--no-init]
 *                      [--local] --<setting> <value> ...
 * npm run new-stack -- --name <stack> --existing --secrets-provider <provider> [--local]
 *
 * The only command that creates a stack in the backend (preview, up, refresh and destroy only
 * select one). Without --existing: writes stacks/Pulumi.<stack>.yaml, creates the stack in the
 * backend (unless --no-init) and prints the commands that set its secrets. With --existing:
 * creates the backend's stack for a committed stack file (its first deployment). The Pulumi CLI is
 * checked first, then the backend (printed). Exit 0 on success, 1 on a problem the user fixes, 2
 * on a usage error.
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
