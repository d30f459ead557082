/**
 * npm run bench -- [--sizes 10,100,500] [--stack dev] [--compare all|none|10,100] [--json FILE] [--check]
 *
 * The scale benchmark: generates synthetic catalogs, plans each in a fresh process (peak memory
 * per run) with the offline-plan tuning and, for comparison, with the Pulumi SDK's defaults
 * (MLPLATFORM_SDK_DEFAULTS=1), then prints a Markdown table and the targets. `--check` exits 1
 * when a target is missed. Whatever the program declares is measured: no resource list here.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs, stringFlag, UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { PLAN_NODE_FLAGS, SDK_DEFAULTS_ENV } from "../lib/plan/sdk-tuning";
import { tempDir, writeCatalog, writeStacks } from "./catalog-generator";
import type { ChildResult } from "./plan-child";
import { BenchRow, checkTargets, formatChecks, formatTable } from "./report";

const USAGE =
  "usage: npm run bench -- [--sizes 10,100,500] [--stack dev] [--compare all|none|SIZES] [--json FILE] [--check]";

const CHILD = path.join(__dirname, "plan-child.ts");

function sizesFlag(value: string | undefined, fallback: number[], flag: string): number[] {
  if (value === undefined) return fallback;
  const sizes = value.split(",").map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000)) {
    throw new UsageError(`--${flag} ${value}: expected comma-separated counts from 1 to 5000`);
  }
  return sizes;
}

/** Runs one plan in a fresh Node process, as `npm run plan` runs (node flags, ts-node, transpile only). */
function runChild(
  servicesDir: string,
  stacksDir: string,
  stack: string,
  sdkDefaults: boolean,
): Promise<ChildResult & { wallMs: number }> {
  const env = { ...process.env };
  if (sdkDefaults) env[SDK_DEFAULTS_ENV] = "1";
  else delete env[SDK_DEFAULTS_ENV];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        // Tuned: node as `npm run plan` starts it; SDK defaults: a plain node.
        ...(sdkDefaults ? [] : PLAN_NODE_FLAGS),
        "-r",
        "ts-node/register/transpile-only",
        CHILD,
        servicesDir,
        stacksDir,
        stack,
      ],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`benchmark run failed (exit ${code}):\n${stderr.trim()}`));
        return;
      }
      const last = stdout.trim().split("\n").pop() ?? "";
      resolve({ ...(JSON.parse(last) as ChildResult), wallMs });
    });
  });
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    sizes: { value: true },
    stack: { value: true },
    compare: { value: true },
    json: { value: true },
    check: { value: false },
  });
  const sizes = sizesFlag(stringFlag(args, "sizes"), [10, 100, 500], "sizes");
  const stack = stringFlag(args, "stack") ?? "dev";
  const compareFlag = stringFlag(args, "compare") ?? "all";
  const compare =
    compareFlag === "all"
      ? sizes
      : compareFlag === "none"
        ? []
        : sizesFlag(compareFlag, [], "compare");

  const root = tempDir("mlplatform-bench");
  const rows: BenchRow[] = [];
  try {
    const stacksDir = path.join(root, "stacks");
    writeStacks(stacksDir, ["dev", "prod"]);
    for (const size of sizes) {
      const servicesDir = path.join(root, `services-${size}`);
      writeCatalog(servicesDir, size);
      process.stderr.write(`${size} services: tuned plan...`);
      const tuned = await runChild(servicesDir, stacksDir, stack, false);
      process.stderr.write(` ${(tuned.wallMs / 1000).toFixed(1)} s`);
      let defaults: BenchRow["defaults"];
      if (compare.includes(size)) {
        process.stderr.write("; SDK-defaults plan...");
        defaults = await runChild(servicesDir, stacksDir, stack, true);
        process.stderr.write(` ${(defaults.wallMs / 1000).toFixed(1)} s`);
      }
      process.stderr.write("\n");
      rows.push({ size, tuned, defaults });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB memory, Node ${process.version}, stack ${stack}`;
  const checks = checkTargets(rows);
  process.stdout.write(`${machine}\n\n${formatTable(rows)}\n\n${formatChecks(checks)}\n`);
  const jsonFile = stringFlag(args, "json");
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    fs.writeFileSync(jsonFile, `${JSON.stringify({ machine, rows, checks }, null, 2)}\n`);
  }
  return args.flags.check && checks.some((c) => !c.ok) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => reportAndExit(error, USAGE),
  );
}
