/**
 * npm run preview|up|refresh|destroy -- --stack <stack> [--service <name>] ...
 *
 * Deploys a stack with the Pulumi Automation API (the Pulumi CLI must be installed). The state
 * lives in the backend the Pulumi CLI would use (PULUMI_BACKEND_URL, else Pulumi.yaml's backend.url,
 * else `pulumi login`); .pulumi-state/ of this repository only with --local. Stacks are only
 * selected, never created (npm run new-stack creates them). `--help` lists each operation's options.
 * Exit 0 on success, 1 on anything the user can fix (message, no stack trace), 2 on a usage error.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { DeployContext } from "../deploy/command";
import type { Operation } from "../deploy/workspace";
import { PROJECT_ROOT } from "../lib/project-root";
import {
  CommandSpec,
  exitCodeFor,
  LOCAL_STATE_OPTION,
  OptionSpec,
  parseCommandLine,
  printHelp,
  switchOption,
  usageLine,
  UsageError,
} from "./command";

export const OPERATIONS: readonly Operation[] = ["preview", "up", "refresh", "destroy"];

const STACK: OptionSpec = {
  type: "string",
  value: "STACK",
  description: "the stack (a committed stacks/Pulumi.<stack>.yaml, created by npm run new-stack)",
  default: "required",
  example: "--stack dev",
  required: true,
};
const SERVICE: OptionSpec = {
  type: "string",
  value: "NAME[,NAME]",
  description: "only these services' resources (their URNs become Pulumi's targets)",
  default: "every service",
  example: "--service churn-model",
};
const INSTANCE_CREDENTIALS = switchOption(
  "--instance-credentials",
  "AWS credentials come from the runner's instance role (no AWS_* variables)",
);
const DIFF = switchOption("--diff", "print Pulumi's detailed diff");
const EXPECT_NO_CHANGES = switchOption(
  "--expect-no-changes",
  "fail (exit 1, drift) when anything would change",
);
const MARKDOWN: OptionSpec = {
  type: "string",
  value: "FILE",
  description: "write the drift report as Markdown (with --expect-no-changes)",
  default: "not written",
  example: "--markdown out/drift-dev.md",
};
const JSON_FILE: OptionSpec = {
  type: "string",
  value: "FILE",
  description: "write the summary of the operation as JSON",
  default: "not written",
  example: "--json out/up-dev.json",
};

/** The drift check of preview and refresh. */
const DRIFT_OPTIONS = { "expect-no-changes": EXPECT_NO_CHANGES, markdown: MARKDOWN };
/** Last in every operation: the summary file, and where the state and the credentials come from. */
const RUN_OPTIONS = {
  json: JSON_FILE,
  local: LOCAL_STATE_OPTION,
  "instance-credentials": INSTANCE_CREDENTIALS,
};

const EXIT_CODES =
  "0 done, 1 a problem you fix (the message says what; drift with --expect-no-changes), 2 usage error";

/** One table per operation: what `npm run <operation> -- --help` prints and accepts. */
export const DEPLOY_COMMANDS: Record<Operation, CommandSpec> = {
  preview: {
    command: "npm run preview --",
    summary: "Previews a stack with the real Pulumi CLI and the policy pack (nothing is changed).",
    options: {
      stack: STACK,
      service: SERVICE,
      diff: DIFF,
      refresh: switchOption("--refresh", "refresh the state from the cloud first"),
      ...DRIFT_OPTIONS,
      ...RUN_OPTIONS,
    },
    exitCodes: EXIT_CODES,
    examples: [
      "npm run preview -- --stack dev",
      "npm run preview -- --stack prod --expect-no-changes --markdown out/drift-prod.md",
    ],
  },
  up: {
    command: "npm run up --",
    summary: "Deploys a stack with the real Pulumi CLI and the policy pack.",
    options: {
      stack: STACK,
      service: SERVICE,
      diff: DIFF,
      ...RUN_OPTIONS,
    },
    exitCodes: EXIT_CODES,
    examples: ["npm run up -- --stack dev", "npm run up -- --stack dev --service churn-model"],
  },
  refresh: {
    command: "npm run refresh --",
    summary: "Records in the state what the cloud holds now (changes no cloud resource).",
    options: {
      stack: STACK,
      service: SERVICE,
      ...DRIFT_OPTIONS,
      ...RUN_OPTIONS,
    },
    exitCodes: EXIT_CODES,
    examples: ["npm run refresh -- --stack prod --expect-no-changes"],
  },
  destroy: {
    command: "npm run destroy --",
    summary:
      "Deletes a stack's resources (retained buckets, ECR repositories, GitHub repositories and\nmodels stay, unmanaged). Runs only when --yes-destroy repeats the stack name.",
    options: {
      stack: STACK,
      "yes-destroy": {
        type: "string",
        value: "STACK",
        description: "the stack's name again: the confirmation",
        default: "required",
        example: "--yes-destroy dev",
      },
      service: SERVICE,
      ...RUN_OPTIONS,
    },
    exitCodes: EXIT_CODES,
    examples: ["npm run destroy -- --stack dev --yes-destroy dev"],
  },
};

/** Every deploy option: the command line is parsed against all of them, then checked per operation. */
const ALL_DEPLOY_OPTIONS: CommandSpec = {
  ...DEPLOY_COMMANDS.preview,
  options: Object.assign({}, ...OPERATIONS.map((op) => DEPLOY_COMMANDS[op].options)),
};

/** `destroy` runs only when --yes-destroy repeats the stack name. */
export function checkDestroyConfirmation(stack: string, confirmation: string | undefined): void {
  const command = `npm run destroy -- --stack ${stack} --yes-destroy ${stack}`;
  if (confirmation === undefined) {
    throw new UsageError(
      `destroy deletes the resources of stack "${stack}" (retained buckets, ECR repositories, GitHub repositories and models stay, unmanaged). To confirm, repeat the stack name: ${command}`,
    );
  }
  if (confirmation !== stack) {
    throw new UsageError(
      `--yes-destroy ${confirmation} does not match --stack ${stack}; nothing was destroyed. To confirm, type exactly: ${command}`,
    );
  }
}

export function defaultDeployContext(): DeployContext {
  return {
    env: process.env,
    projectDir: PROJECT_ROOT,
    stacksDir: path.join(PROJECT_ROOT, "stacks"),
    servicesDir: path.join(PROJECT_ROOT, "services"),
    homeDir: os.homedir(),
    exists: (file) => fs.existsSync(file),
    readFile: (file) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
    makeDir: (dir) => fs.mkdirSync(dir, { recursive: true }),
    writeFile: (file, content) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    },
    // Loaded when used: --help and usage errors need neither the Automation API nor the plan.
    openWorkspace: async () => (await import("../deploy/automation")).openPulumiWorkspace(),
    plan: async (options) => (await import("../offline/plan/run")).runPlan(options),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

/** `<operation> [flags]` against a context; prints errors without a stack trace; the exit code. */
export async function runDeployCommand(argv: string[], ctx: DeployContext): Promise<number> {
  const [operation, ...rest] = argv;
  const known = OPERATIONS.includes(operation as Operation);
  const spec = known ? DEPLOY_COMMANDS[operation as Operation] : ALL_DEPLOY_OPTIONS;
  const report = {
    err: (text: string) => ctx.err(text.replace(/\n$/, "")),
    env: ctx.env,
  };
  try {
    if (!known) {
      throw new UsageError(
        `unknown operation "${operation ?? ""}" (one of ${OPERATIONS.join(", ")})`,
      );
    }
    const op = operation as Operation;
    // Parsed against every deploy option, so that one of another operation is named as such.
    const args = parseCommandLine({ ...ALL_DEPLOY_OPTIONS, options: withoutRequired() }, rest);
    if (args === "help") return printHelp(spec, (t) => ctx.out(t.replace(/\n$/, "")));
    const values = args.values as Record<string, string | boolean | undefined>;
    for (const flag of Object.keys(values)) {
      if (!(flag in spec.options)) {
        const takers = OPERATIONS.filter((o) => flag in DEPLOY_COMMANDS[o].options);
        throw new UsageError(`--${flag} is for ${takers.join(" and ")}, not ${op}`);
      }
    }
    const stack = values.stack as string | undefined;
    if (stack === undefined) throw new UsageError("--stack is required (e.g. --stack dev)");
    if (values.markdown !== undefined && values["expect-no-changes"] !== true) {
      throw new UsageError("--markdown writes the drift report: use it with --expect-no-changes");
    }
    if (op === "destroy") checkDestroyConfirmation(stack, values["yes-destroy"] as string);
    const service = values.service as string | undefined;
    const { deploy } = await import("../deploy/command");
    return await deploy(
      op,
      {
        stack,
        // One name, or several separated by commas (service names never contain one).
        services: service === undefined ? undefined : service.split(","),
        diff: values.diff === true,
        refresh: values.refresh === true,
        expectNoChanges: values["expect-no-changes"] === true,
        markdownFile: values.markdown as string | undefined,
        jsonFile: values.json as string | undefined,
        local: values.local === true,
        instanceCredentials: values["instance-credentials"] === true,
      },
      ctx,
    );
  } catch (error) {
    const usage = known
      ? usageLine(spec)
      : OPERATIONS.map((o) => usageLine(DEPLOY_COMMANDS[o])).join("\n");
    return exitCodeFor(error, usage, report, "deployed");
  }
}

/** The union of the operations' options, none required (each operation checks its own). */
function withoutRequired(): Record<string, OptionSpec> {
  return Object.fromEntries(
    Object.entries(ALL_DEPLOY_OPTIONS.options).map(([name, o]) => [
      name,
      { ...o, required: false },
    ]),
  );
}

if (require.main === module) {
  runDeployCommand(process.argv.slice(2), defaultDeployContext()).then((code) =>
    process.exit(code),
  );
}
