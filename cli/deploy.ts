/**
 * npm run preview|up|refresh|destroy -- --stack <stack> [--service <name>] ...
 *
 * Deploys a stack with the Pulumi Automation API (the Pulumi CLI must be installed). The state
 * lives in the backend the Pulumi CLI would use (PULUMI_BACKEND_URL, else Pulumi.yaml's backend.url,
 * else `pulumi login`); .pulumi-state/ of this repository only with --local. Stacks are only
 * selected, never created (npm run new-stack creates them).
 * Exit 0 on success, 1 on anything the user can fix (message, no stack trace), 2 on a usage error.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { openPulumiWorkspace } from "../lib/deploy/automation";
import { DeployContext, runDeployCommand } from "../lib/deploy/command";
import { runPlan } from "../lib/plan/run";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR, PROJECT_ROOT } from "../lib/stacks";

export function defaultDeployContext(): DeployContext {
  return {
    env: process.env,
    projectDir: PROJECT_ROOT,
    stacksDir: DEFAULT_STACKS_DIR,
    servicesDir: DEFAULT_SERVICES_DIR,
    homeDir: os.homedir(),
    exists: (file) => fs.existsSync(file),
    readFile: (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
    makeDir: (dir) => fs.mkdirSync(dir, { recursive: true }),
    writeFile: (file, content) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    },
    openWorkspace: () => openPulumiWorkspace(),
    plan: (options) => runPlan(options),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

if (require.main === module) {
  runDeployCommand(process.argv.slice(2), defaultDeployContext()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
