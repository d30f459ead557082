/**
 * npm run compare-plans -- --baseline REF [--stacks dev,prod] [--services DIR]
 *
 * Proves that a change is a pure restructuring: the offline plan of each stack, written by REF's
 * code and by the working tree's, must be byte-identical (the console text, the JSON document
 * and the Markdown). REF is checked out in a temporary worktree (bench/baseline.ts), each side
 * plans with its own cli/plan.ts in one process (`--workers 1`, under ts-node as `pulumi up`
 * would load the program), and the first differing line of each output is printed. Exits 1 when
 * any output differs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandSpec, parseCommandLine, printHelp, runMain, UsageError } from "../cli/command";
import { PROJECT_ROOT, prepareBaseline, removeBaseline } from "./baseline";

export const COMPARE_PLANS_COMMAND = {
  command: "npm run compare-plans --",
  summary: [
    "Plans each stack with a git ref's code and with the working tree's, and fails unless the",
    "console text, the JSON plan and the Markdown plan are byte-identical (a restructuring check).",
  ].join("\n"),
  options: {
    baseline: {
      type: "string",
      value: "REF",
      description: "the git ref to compare with",
      default: "-",
      required: true,
      example: "--baseline main",
    },
    stacks: {
      type: "string",
      value: "a,b",
      description: "the stacks to plan",
      default: "dev,prod",
      example: "--stacks dev",
    },
    services: {
      type: "string",
      value: "DIR",
      description: "the catalog folder (the same one for both sides)",
      default: "services/ of each side",
      example: "--services ./my-services",
    },
  },
  examples: ["npm run compare-plans -- --baseline main"],
  exitCodes: "0 identical, 1 a plan differs or failed, 2 usage error",
} as const satisfies CommandSpec;

/** The outputs of one plan: name -> content. */
export type PlanOutputs = Record<string, string>;

/** Plans `stack` with the code in `tree`; the console text, JSON and Markdown. */
export function planWith(tree: string, stack: string, services: string | undefined): PlanOutputs {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "mlplatform-compare-"));
  try {
    const json = path.join(out, "plan.json");
    const markdown = path.join(out, "plan.md");
    const args = ["-r", "ts-node/register/transpile-only", path.join("cli", "plan.ts")];
    args.push("--stack", stack, "--json", json, "--markdown", markdown, "--workers", "1");
    if (services !== undefined) args.push("--services", path.resolve(services));
    const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: "1" };
    delete env.MLPLATFORM_SDK_DEFAULTS;
    let console: string;
    try {
      console = execFileSync(process.execPath, args, {
        cwd: tree,
        env,
        encoding: "utf8",
        maxBuffer: 1 << 30,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      const stderr = String((e as { stderr?: unknown }).stderr ?? e).trim();
      throw new Error(`the plan of stack ${stack} failed in ${tree}:\n${stderr}`);
    }
    return {
      console,
      "plan.json": fs.readFileSync(json, "utf8"),
      "plan.md": fs.readFileSync(markdown, "utf8"),
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

/** The first line where two texts differ (1-based), or undefined when they are equal. */
export function firstDifference(
  a: string,
  b: string,
): { line: number; before: string; after: string } | undefined {
  if (a === b) return undefined;
  const left = a.split("\n");
  const right = b.split("\n");
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i]) {
      return { line: i + 1, before: left[i] ?? "(end)", after: right[i] ?? "(end)" };
    }
  }
  return { line: left.length, before: "(line endings differ)", after: "" };
}

/** Compares the outputs of both sides; the report lines and whether all are identical. */
export function compareOutputs(
  stack: string,
  before: PlanOutputs,
  after: PlanOutputs,
  ref: string,
): { identical: boolean; lines: string[] } {
  const lines: string[] = [];
  let identical = true;
  for (const name of Object.keys(before)) {
    const diff = firstDifference(before[name], after[name] ?? "");
    if (diff === undefined) {
      lines.push(`identical  ${stack} ${name} (${Buffer.byteLength(before[name])} bytes)`);
    } else {
      identical = false;
      lines.push(`DIFFERS    ${stack} ${name} at line ${diff.line}:`);
      lines.push(`  ${ref}: ${diff.before}`);
      lines.push(`  working tree: ${diff.after}`);
    }
  }
  return { identical, lines };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(COMPARE_PLANS_COMMAND, argv);
  if (parsed === "help") return printHelp(COMPARE_PLANS_COMMAND);
  const { values } = parsed;
  const stacks = (values.stacks ?? "dev,prod").split(",").map((s) => s.trim());
  if (stacks.some((s) => !/^[a-z][a-z0-9-]*$/.test(s))) {
    throw new UsageError(`--stacks ${values.stacks}: expected stack names such as dev,prod`);
  }
  const ref = values.baseline as string;
  const baseline = prepareBaseline(ref);
  let identical = true;
  try {
    for (const stack of stacks) {
      process.stderr.write(`planning ${stack} with ${ref} (${baseline.sha.slice(0, 12)})...\n`);
      const before = planWith(baseline.dir, stack, values.services);
      process.stderr.write(`planning ${stack} with the working tree...\n`);
      const after = planWith(PROJECT_ROOT, stack, values.services);
      const result = compareOutputs(stack, before, after, ref);
      identical &&= result.identical;
      process.stdout.write(`${result.lines.join("\n")}\n`);
    }
  } finally {
    removeBaseline(baseline);
  }
  process.stdout.write(
    identical ? `every plan is byte-identical to ${ref}'s\n` : `some plans differ from ${ref}'s\n`,
  );
  return identical ? 0 : 1;
}

if (require.main === module) runMain(COMPARE_PLANS_COMMAND, main);
