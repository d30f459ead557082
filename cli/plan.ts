/**
 * npm run plan -- [--stack dev|prod] [--services DIR] [--json FILE] [--markdown FILE] [--diff BASE.json]
 *                  [--changed-since GIT_REF]
 *
 * The offline plan: runs the Pulumi program in-process under the SDK's mock engine and prints,
 * per service, the resources it would declare. Exit 0 on success, 1 on an invalid catalog (or a
 * mandatory policy finding), 2 on a usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs, stringFlag, UsageError } from "../lib/cli-args";
import { reportAndExit } from "../lib/cli-errors";
import { diffPlans } from "../lib/plan/diff";
import { cleanText, formatDiff, formatMarkdown, formatPlan } from "../lib/plan/format";
import { PlanDocument, runPlan, stacksOrThrow } from "../lib/plan/run";
import { ALLOW_REMOVAL_FLAG, checkRemovals, parseAllowRemoval } from "../lib/plan/removal-guard";
import { describeSelection, restrictBase, selectForPlan } from "../lib/plan/changed-since";
import { counted } from "../lib/plural";
import { progressReporter } from "../lib/plan/progress";
import { previewScope } from "../lib/plan/scope";

const USAGE =
  "usage: npm run plan -- [--stack dev] [--services DIR] [--json FILE] [--markdown FILE] [--diff BASE.json] [--changed-since GIT_REF] [--scope FILE] [--allow-removal a,b] [--quiet]";

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
  const args = parseArgs(argv, {
    stack: { value: true },
    services: { value: true },
    json: { value: true },
    markdown: { value: true },
    diff: { value: true },
    quiet: { value: false },
    "changed-since": { value: true },
    scope: { value: true },
    [ALLOW_REMOVAL_FLAG]: { value: true },
  });
  const stack = stringFlag(args, "stack") ?? "dev";
  const servicesDir = stringFlag(args, "services");
  const diffFile = stringFlag(args, "diff");
  const base = diffFile ? readBase(diffFile) : undefined;
  // A base of another stack would show every resource as removed and added: refuse it.
  if (base && typeof base.stack === "string" && base.stack !== stack) {
    throw new UsageError(
      `--diff ${diffFile}: that plan is of stack ${JSON.stringify(base.stack).slice(0, 80)}, this one of stack ${stack}; diff against a plan of the same stack`,
    );
  }
  if (servicesDir && !fs.existsSync(servicesDir))
    throw new UsageError(`--services ${servicesDir}: no such folder`);

  const started = Date.now();
  process.stderr.write(`planning stack ${stack} offline...\n`);
  // --changed-since: validate the whole catalog, plan only the entries changed since the ref.
  const changedSince = stringFlag(args, "changed-since");
  const changes =
    changedSince !== undefined
      ? selectForPlan(changedSince, { servicesDir: servicesDir && path.resolve(servicesDir) })
      : undefined;
  if (changes) process.stderr.write(`${describeSelection(changes.selection, changes.total)}\n`);
  const doc = await runPlan({
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
    const allowRemoval = parseAllowRemoval(stringFlag(args, ALLOW_REMOVAL_FLAG));
    removals = checkRemovals(base, doc, diff, { protectData, allowRemoval });
  }
  const mandatory = doc.findings.filter((f) => f.severity === "mandatory");
  const refused = [
    ...removals.problems,
    ...mandatory.map((f) => `${f.policy} ${f.service ?? "platform"}: ${f.message}`),
  ];
  const written: PlanDocument & { refused?: string[] } =
    refused.length > 0 ? { ...doc, refused } : doc;

  if (!args.flags.quiet) process.stdout.write(`${formatPlan(doc)}\n`);
  if (diff) process.stdout.write(`\n${formatDiff(diff)}\n`);
  const jsonFile = stringFlag(args, "json");
  if (jsonFile) write("json", jsonFile, `${JSON.stringify(written, null, 2)}\n`);
  const markdownFile = stringFlag(args, "markdown");
  if (markdownFile) {
    const banner = refused.length
      ? `> **Refused: this plan must not be applied.**\n${refused.map((r) => `> - ${cleanText(r)}`).join("\n")}\n\n`
      : "";
    write("markdown", markdownFile, `${banner}${formatMarkdown(doc, diff)}\n`);
  }
  const scopeFile = stringFlag(args, "scope");
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
  if (args.flags.quiet) {
    for (const f of mandatory) {
      process.stderr.write(
        `error: ${f.policy} ${f.service ?? "platform"}: ${f.message} (${f.urn})\n`,
      );
    }
  }
  return refused.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => reportAndExit(error, USAGE),
  );
}
