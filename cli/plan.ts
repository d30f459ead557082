/**
 * npm run plan -- [--stack dev|prod] [--services DIR] [--json FILE] [--markdown FILE] [--diff BASE.json]
 *                  [--changed-since GIT_REF] [--scope FILE] [--allow-removal a,b] [--workers N] [--quiet]
 *
 * The offline plan: runs the Pulumi program in-process under the SDK's mock engine and prints,
 * per service, the resources it would declare. Exit 0 on success, 1 on an invalid catalog (or a
 * mandatory policy finding), 2 on a usage error. `--help` lists every option.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CommandSpec,
  parseCommandLine,
  printHelp,
  runMain,
  SERVICES_DIR_OPTION,
  switchOption,
  UsageError,
} from "./command";
import { diffPlans } from "../offline/plan/diff";
import { cleanText, formatDiff, formatMarkdown, formatPlan } from "../offline/plan/format";
import type { PlanDocument } from "../offline/plan/types";
import {
  ALLOW_REMOVAL_FLAG,
  checkRemovals,
  parseAllowRemoval,
} from "../offline/plan/removal-guard";
import { counted } from "../lib/plural";
import { progressReporter } from "../offline/plan/progress";
import { previewScope } from "../offline/plan/scope";
import { AUTO_SERVICES_PER_WORKER, expectedWorkers, startWorkers } from "../offline/plan/workers";
import { PROJECT_ROOT } from "../lib/project-root";

/** --workers: a whole number from 1 up, or "auto" (undefined). */
export function parseWorkers(value: string | undefined): { workers: number; min: number } {
  if (value === undefined || value === "auto") {
    return { workers: os.availableParallelism(), min: AUTO_SERVICES_PER_WORKER };
  }
  if (!/^[1-9][0-9]{0,2}$/.test(value)) {
    throw new UsageError(`--workers ${value}: a whole number from 1 to 999, or auto`);
  }
  return { workers: Number(value), min: 1 };
}

export const PLAN_COMMAND = {
  command: "npm run plan --",
  summary: [
    "The offline plan: runs the Pulumi program (index.ts) in-process under the Pulumi SDK's mock",
    "engine (no network, no credentials) and prints, per service, the resources it would declare.",
  ].join("\n"),
  options: {
    stack: {
      type: "string",
      value: "STACK",
      description: "the stack to plan (a stacks/Pulumi.<stack>.yaml)",
      default: "dev",
      example: "--stack prod",
    },
    services: SERVICES_DIR_OPTION,
    json: {
      type: "string",
      value: "FILE",
      description: "also write the plan as JSON (the base of a later --diff)",
      default: "not written",
      example: "--json out/plan.json",
    },
    markdown: {
      type: "string",
      value: "FILE",
      description: "also write the plan (and diff) as Markdown, for a pull-request comment",
      default: "not written",
      example: "--markdown out/plan.md",
    },
    diff: {
      type: "string",
      value: "BASE.json",
      description: "show what changed against a plan of the same stack written with --json",
      default: "no diff",
      example: "--diff out/base.json",
    },
    "changed-since": {
      type: "string",
      value: "GIT_REF",
      description:
        "plan only the services whose entry changed since the ref (every one when anything else that may affect them changed)",
      default: "every service",
      example: "--changed-since origin/main",
    },
    scope: {
      type: "string",
      value: "FILE",
      description: "write which services a real preview must cover (JSON), from --diff",
      default: "not written",
      example: "--scope out/scope-dev.json",
    },
    [ALLOW_REMOVAL_FLAG]: {
      type: "string",
      value: "a,b",
      description: "acknowledge that these services leave the stack (with --diff)",
      default: "none",
      example: `--${ALLOW_REMOVAL_FLAG} churn-model`,
    },
    workers: {
      type: "string",
      value: "N",
      description: `plan over N worker processes (1: in this process); by default one per CPU, each for at least ${AUTO_SERVICES_PER_WORKER} services`,
      default: "auto",
      example: "--workers 2",
    },
    quiet: switchOption("--quiet", "do not print the resource tree"),
  },
  exitCodes:
    "0 planned, 1 invalid catalog or refused plan (the reasons are printed), 2 usage error",
  examples: [
    "npm run plan",
    "npm run plan -- --stack prod --json out/plan.json",
    "npm run plan -- --changed-since origin/main --diff out/base.json --markdown out/plan.md",
  ],
} as const satisfies CommandSpec;

function readBase(file: string): PlanDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(
      `--diff ${file}: cannot read a JSON plan (${(e as Error).message.split("\n")[0]})`,
    );
  }
  const doc = parsed as PlanDocument;
  if (
    !doc ||
    !Array.isArray(doc.services) ||
    !doc.platform ||
    !Array.isArray(doc.platform.resources)
  ) {
    throw new UsageError(`--diff ${file}: not a plan written by npm run plan -- --json`);
  }
  return doc;
}

/** Writes an output file; a path that cannot hold one fails at once, naming the flag. */
function write(flag: string, file: string, content: string): void {
  const full = path.resolve(file);
  // Kernel pseudo-filesystems can block or take a write as a command: never an output file.
  if (/^\/(proc|sys|dev)(\/|$)/.test(full)) {
    throw new UsageError(
      `--${flag} ${file}: not a place for an output file (under /${full.split("/")[1]})`,
    );
  }
  try {
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  } catch (e) {
    throw new UsageError(
      `--${flag} ${file}: cannot write it (${(e as Error).message.split("\n")[0]})`,
    );
  }
}

/** The service outputs of a previous plan, as the StackReference to this stack would return them. */
export function previousOutputsOf(
  base: PlanDocument | undefined,
): Record<string, unknown> | undefined {
  if (!base) return undefined;
  return {
    services: Object.fromEntries(base.services.map((s) => [s.name, s.outputs])),
    retained: base.retained ?? {},
  };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(PLAN_COMMAND, argv);
  if (args === "help") return printHelp(PLAN_COMMAND);
  const flags = args.values;
  const stack = flags.stack ?? "dev";
  const servicesDir = flags.services;
  const diffFile = flags.diff;
  const base = diffFile ? readBase(diffFile) : undefined;
  // A base of another stack would show every resource as removed and added: refuse it.
  if (base && typeof base.stack === "string" && base.stack !== stack) {
    throw new UsageError(
      `--diff ${diffFile}: that plan is of stack ${JSON.stringify(base.stack).slice(0, 80)}, this one of stack ${stack}; diff against a plan of the same stack`,
    );
  }
  if (servicesDir && !fs.existsSync(servicesDir))
    throw new UsageError(`--services ${servicesDir}: no such folder`);
  // Loaded after the arguments: the Pulumi SDK is not needed for --help or a usage error.
  const { workers, min } = parseWorkers(flags.workers);
  const changedSince = flags["changed-since"];
  // The workers load the program while this process loads the catalog's modules and validates
  // (offline/plan/workers.ts); a --changed-since selection is only known after that.
  const ahead =
    changedSince === undefined
      ? expectedWorkers(servicesDir ?? path.join(PROJECT_ROOT, "services"), workers, min)
      : 1;
  const workersStarted = ahead > 1 ? startWorkers(ahead) : undefined;
  const { planParallel } = await import("../offline/plan/parallel");
  const { describeSelection, restrictBase, selectForPlan, ChangedSinceError } = await import(
    "../offline/plan/changed-since"
  );
  const { stacksOrThrow } = await import("../catalog/stacks");

  const started = Date.now();
  process.stderr.write(`planning stack ${stack} offline...\n`);
  // --changed-since: validate the whole catalog, plan only the entries changed since the ref.
  let changes: ReturnType<typeof selectForPlan> | undefined;
  try {
    changes =
      changedSince !== undefined
        ? selectForPlan(changedSince, { servicesDir: servicesDir && path.resolve(servicesDir) })
        : undefined;
  } catch (e) {
    if (e instanceof ChangedSinceError) throw new UsageError(`--changed-since: ${e.message}`);
    throw e;
  }
  if (changes) process.stderr.write(`${describeSelection(changes.selection, changes.total)}\n`);
  const doc = await planParallel({
    workers,
    minServicesPerWorker: min,
    started: workersStarted,
    stack,
    servicesDir: servicesDir && path.resolve(servicesDir),
    previousOutputs: previousOutputsOf(base),
    catalog: changes?.selection.selected,
    wholeCatalog: changes?.catalog,
    onProgress: progressReporter((line) => process.stderr.write(line), started),
  });
  const diff = base
    ? diffPlans(changes ? restrictBase(base, changes.selection) : base, doc)
    : undefined;

  // The guard and the mandatory findings are decided before anything is written, so that a
  // refused plan is never written (or posted by CI) as if it were fine.
  let removals = { problems: [] as string[], notes: [] as string[] };
  if (base && diff) {
    const protectData =
      stacksOrThrow().find((s) => s.stack === stack)?.settings.protectData ?? false;
    const allowRemoval = parseAllowRemoval(flags[ALLOW_REMOVAL_FLAG]);
    removals = checkRemovals(base, doc, diff, { protectData, allowRemoval });
  }
  const mandatory = doc.findings.filter((f) => f.severity === "mandatory");
  const refused = [
    ...removals.problems,
    ...mandatory.map((f) => `${f.policy} ${f.service ?? "platform"}: ${f.message}`),
  ];
  const written: PlanDocument & { refused?: string[] } =
    refused.length > 0 ? { ...doc, refused } : doc;

  // The diff first: it is what a reviewer reads; the tree follows.
  if (diff) process.stdout.write(`${formatDiff(diff)}\n\n`);
  if (!flags.quiet) process.stdout.write(`${formatPlan(doc)}\n`);
  const jsonFile = flags.json;
  if (jsonFile) write("json", jsonFile, `${JSON.stringify(written, null, 2)}\n`);
  const markdownFile = flags.markdown;
  if (markdownFile) {
    const banner = refused.length
      ? `> **Refused: this plan must not be applied.**\n${refused.map((r) => `> - ${cleanText(r)}`).join("\n")}\n\n`
      : "";
    write("markdown", markdownFile, `${banner}${formatMarkdown(doc, diff)}\n`);
  }
  const scopeFile = flags.scope;
  if (scopeFile) {
    const scope = previewScope({
      plan: doc,
      diff,
      base,
      sharedChanges: changes?.selection.all ? changes.selection.sharedChanges : [],
    });
    write("scope", scopeFile, `${JSON.stringify(scope, null, 2)}\n`);
    process.stderr.write(`preview scope of stack ${stack}: ${scope.preview} (${scope.reason})\n`);
  }
  process.stderr.write(
    `planned ${counted(doc.summary.services, "service")}, ${counted(doc.summary.resources, "resource")} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  for (const note of removals.notes) process.stdout.write(`note: ${note}\n`);
  for (const problem of removals.problems) process.stderr.write(`error: ${problem}\n`);
  // With --quiet the tree is not printed: a refusal still says why.
  if (flags.quiet) {
    for (const f of mandatory) {
      process.stderr.write(
        `error: ${f.policy} ${f.service ?? "platform"}: ${f.message} (${f.urn})\n`,
      );
    }
  }
  return refused.length > 0 ? 1 : 0;
}

if (require.main === module) runMain(PLAN_COMMAND, main);
