/**
 * The command line of deploy/ci.ts (what the CI files need to know about the stacks):
 *
 *   node dist/cli/ci.js matrix [--stacks DIR] [--scopes DIR]
 *   node dist/cli/ci.js list [--nonproduction|--production] [--stacks DIR]
 *   node dist/cli/ci.js stack-env --stack <stack> [--role deploy|preview] [--stacks DIR]
 *
 * (also runnable as deploy/ci.ts, the path the CI files use). Exit 0, 1 with the problems on
 * stderr, 2 on a usage error.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as path from "path";
import { ciStacks, matrixOutputs, stackEnv } from "../deploy/ci";
import {
  CommandSpec,
  exitCodeFor,
  parseCommandLine,
  helpText,
  switchOption,
  usageLine,
  UsageError,
} from "./command";

export const CI_COMMAND = {
  command: "node dist/cli/ci.js",
  summary:
    "What the CI files need to know about the stacks, read from the stack files at run time:\nmatrix (GitHub Actions outputs), list (one stack per line), stack-env (key=value lines).",
  positionals: [
    {
      name: "<matrix|list|stack-env>",
      description: "what to print",
      default: "required",
      example: "matrix",
      required: true,
    },
  ],
  options: {
    stacks: {
      type: "string",
      value: "DIR",
      description: "the stacks folder",
      default: "stacks (of the working directory)",
      example: "--stacks ./stacks",
    },
    scopes: {
      type: "string",
      value: "DIR",
      description:
        "matrix: the plan's scope-<stack>.json answers; a stack answered none is left out",
      default: "every stack",
      example: "--scopes out",
    },
    stack: {
      type: "string",
      value: "STACK",
      description: "stack-env: the stack",
      default: "required for stack-env",
      example: "--stack dev",
    },
    role: {
      type: "string",
      value: "deploy|preview",
      description: "stack-env: the role-arn printed",
      default: "deploy",
      example: "--role preview",
    },
    production: switchOption("--production", "list: production stacks only"),
    nonproduction: switchOption("--nonproduction", "list: non-production stacks only"),
  },
  exitCodes: "0 printed, 1 a stack file problem (every one is printed), 2 usage error",
  examples: [
    'node dist/cli/ci.js matrix --scopes out >> "$GITHUB_OUTPUT"',
    "node dist/cli/ci.js stack-env --stack prod --role preview",
  ],
} as const satisfies CommandSpec;

export function runCi(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd: string,
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  try {
    const args = parseCommandLine(CI_COMMAND, argv);
    if (args === "help") {
      out(helpText(CI_COMMAND));
      return 0;
    }
    const [command] = args.positionals;
    const { values } = args;
    const stacksDir = path.resolve(cwd, values.stacks ?? "stacks");
    let lines: string[];
    if (command === "matrix") {
      lines = matrixOutputs(
        stacksDir,
        values.scopes ? path.resolve(cwd, values.scopes) : undefined,
      );
    } else if (command === "list") {
      const only = values.production ? true : values.nonproduction ? false : undefined;
      lines = ciStacks(stacksDir)
        .filter((s) => only === undefined || s.production === only)
        .map((s) => s.stack);
    } else if (command === "stack-env") {
      if (!values.stack) throw new UsageError("stack-env needs --stack <stack>");
      const role = values.role ?? "deploy";
      if (role !== "deploy" && role !== "preview") {
        throw new UsageError(`--role ${role}: deploy or preview`);
      }
      lines = stackEnv(stacksDir, values.stack, role, env);
    } else {
      throw new UsageError(`unknown command "${command}" (matrix, list, stack-env)`);
    }
    for (const line of lines) out(line);
    return 0;
  } catch (e) {
    return exitCodeFor(e, usageLine(CI_COMMAND), {
      err: (text) => err(text.replace(/\n$/, "")),
      env,
    });
  }
}

export function runMain(): void {
  process.exitCode = runCi(
    process.argv.slice(2),
    process.env,
    process.cwd(),
    (line) => process.stdout.write(`${line}\n`),
    (line) => process.stderr.write(`${line}\n`),
  );
}

if (require.main === module) runMain();
