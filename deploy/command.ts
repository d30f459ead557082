/**
 * The deploy commands (preview, up, refresh, destroy) over a DeployWorkspace, from typed options:
 * the checks that run before Pulumi does (the CLI, the policy pack, the backend, the stack, the
 * credentials, in that order), progress, drift reports, exit codes. Stacks are only selected here,
 * never created. cli/deploy.ts parses the command line and wires the real Automation API in; the
 * tests wire a fake one.
 */
import * as path from "path";
import { loadCatalog } from "../catalog/load";
import { PlanDocument } from "../offline/plan/types";
import { displayPath, stacksOrThrow } from "../catalog/stacks";
import { Backend, backendLine, selectBackend } from "./backend";
import { credentialProblems } from "./credentials";
import {
  DeployError,
  OperationFailedError,
  PolicyPackNotInstalledError,
  StackNotInBackendError,
} from "./errors";
import { DeployInputError } from "./input-error";
import { changedCount, driftMarkdown, formatSummary, ProgressTracker } from "./progress";
import { initExistingHint, loadStackForDeploy, STACK_NAME } from "./stack-file";
import { withoutSuperseded } from "./state-migration";
import { serviceTargets } from "./targets";
import { DeployStack, DeployWorkspace, Operation, OpenWorkspace, StackLocation } from "./workspace";

export const OPERATIONS: readonly Operation[] = ["preview", "up", "refresh", "destroy"];

/** The policy pack every preview and up runs (`--policy-pack`): the repository's policy/ folder. */
export const POLICY_PACK_DIR = "policy";

export interface DeployContext {
  env: Record<string, string | undefined>;
  /** Folder with Pulumi.yaml: the Automation API's workDir. */
  projectDir: string;
  stacksDir: string;
  servicesDir: string;
  homeDir: string;
  exists: (file: string) => boolean;
  /** A file's text, or undefined when it does not exist (Pulumi.yaml, Pulumi's credentials.json). */
  readFile: (file: string) => string | undefined;
  makeDir: (dir: string) => void;
  writeFile: (file: string, content: string) => void;
  openWorkspace: OpenWorkspace;
  /** The offline plan of a stack (offline/plan/run.ts runPlan). */
  plan: (options: {
    stack: string;
    servicesDir: string;
    stacksDir: string;
  }) => Promise<PlanDocument>;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What one deploy operation does; the command line (cli/deploy.ts) builds it from the flags. */
export interface DeployOptions {
  stack: string;
  /** Only these services' resources (their URNs become the operation's targets). Defaults to all. */
  services?: string[];
  /** Print Pulumi's detailed diff. Defaults to false. */
  diff?: boolean;
  /** Refresh before a preview. Defaults to false. */
  refresh?: boolean;
  /** Fail (drift) when the operation would change anything. Defaults to false. */
  expectNoChanges?: boolean;
  /** Write the drift report (Markdown) here, with expectNoChanges. Defaults to none. */
  markdownFile?: string;
  /** Write the summary (JSON) here. Defaults to none. */
  jsonFile?: string;
  /** Use the repository's own file backend. Defaults to false. */
  local?: boolean;
  /** AWS credentials come from the runner's instance role. Defaults to false. */
  instanceCredentials?: boolean;
}

/**
 * Every operation only selects the stack: a stack that is not in the backend is never created
 * here (a typo in --stack, or the wrong backend, must not start an empty stack). Only
 * `npm run new-stack` creates stacks.
 */
async function selectExisting(
  operation: Operation,
  workspace: DeployWorkspace,
  location: StackLocation,
  backend: Backend,
  secretsProvider: string,
): Promise<DeployStack> {
  try {
    return await workspace.selectStack(location);
  } catch (e) {
    if (e instanceof StackNotInBackendError) {
      const stack = location.stackName;
      throw new DeployError([
        `stack "${stack}" has no state in the backend ${backend.shown} (from ${backend.source}), so there is nothing to ${operation}; the deploy commands never create a stack.`,
        `If this is the stack's first deployment, create it in this backend first: ${initExistingHint(stack, secretsProvider)}`,
        `If it was deployed before, it lives in another backend: check ${backend.source} (docs/deploy.md, "2. State backend").`,
      ]);
    }
    throw e;
  }
}

/** Runs one operation; resolves to the exit code (errors propagate to the caller). */
export async function deploy(
  operation: Operation,
  options: DeployOptions,
  ctx: DeployContext,
): Promise<number> {
  const { stack } = options;
  if (!STACK_NAME.test(stack)) throw new DeployInputError(`--stack ${stack}: not a stack name`);
  const names = [...new Set((options.services ?? []).map((n) => n.trim()))];
  if (names.some((n) => n === "")) {
    throw new DeployInputError(
      `--service ${(options.services ?? []).join(",")}: an empty name (expected name or name,name)`,
    );
  }
  const service = names.length > 0 ? names.join(",") : undefined;

  // 1. The tools: the Pulumi CLI (its absence is the first thing said), then the policy pack.
  const workspace = await ctx.openWorkspace();
  const runsPolicies = operation === "preview" || operation === "up";
  const policyPack = path.join(ctx.projectDir, POLICY_PACK_DIR);
  if (
    runsPolicies &&
    !ctx.exists(path.join(policyPack, "node_modules", "@pulumi", "policy", "package.json"))
  ) {
    throw new PolicyPackNotInstalledError(displayPath(policyPack));
  }

  // 2. Where the state is, printed by every command.
  const backend = selectBackend(ctx, options.local === true);
  ctx.err(backendLine(backend));

  // 3. The stack: its file, then the whole catalog (nothing is deployed from an invalid one).
  const stackFile = loadStackForDeploy(ctx.stacksDir, stack);
  const catalog = loadCatalog(ctx.servicesDir, stacksOrThrow(ctx.stacksDir));

  // 4. The credentials.
  const problems = credentialProblems(stackFile, backend, {
    env: ctx.env,
    homeDir: ctx.homeDir,
    exists: ctx.exists,
    instanceCredentials: options.instanceCredentials === true,
  });
  if (problems.length > 0) {
    throw new DeployError([
      `credentials for stack "${stack}" are missing (${problems.length}); nothing was run:`,
      ...problems.map((p) => `  - ${p}`),
    ]);
  }

  let target: string[] | undefined;
  if (service !== undefined) {
    const plan = await ctx.plan({ stack, servicesDir: ctx.servicesDir, stacksDir: ctx.stacksDir });
    const known = catalog.map((f) => ({ name: f.entry.name, environments: f.entry.environments }));
    target = [...new Set(names.flatMap((n) => serviceTargets(plan, n, known)))];
  }

  const location: StackLocation = {
    stackName: stack,
    workDir: ctx.projectDir,
    envVars: { PULUMI_BACKEND_URL: backend.url },
  };
  const selected = await selectExisting(
    operation,
    workspace,
    location,
    backend,
    stackFile.secretsProvider,
  );
  const scope = service
    ? ` (${names.length === 1 ? "service" : "services"} ${names.join(", ")}: ${target!.length} resources)`
    : "";
  const refresh = options.refresh === true;
  ctx.err(
    `${operation} stack ${stack}${scope}${refresh ? " with refresh" : ""}, state in ${backend.shown}` +
      (runsPolicies ? `, policy pack ${displayPath(policyPack)}` : ""),
  );

  // 5. Resources an earlier release declared and the program replaced (deploy/state-migration.ts):
  //    up removes them from the state first, since deleting them would delete what their
  //    successors now manage; preview cannot change the state, so it says what up will do.
  if (operation === "up" || operation === "preview") {
    const migration = withoutSuperseded(await selected.exportState());
    if (migration.removed.length > 0) {
      const lines = migration.summary.map((line) => `  - ${line}`);
      if (operation === "up") {
        ctx.err(
          `removing ${migration.removed.length} resource(s) the program replaced from the state of stack ${stack} (nothing is deleted in the cloud):`,
        );
        lines.forEach((line) => ctx.err(line));
        await selected.importState(migration.deployment);
      } else {
        ctx.err(
          `note: the state of stack ${stack} holds ${migration.removed.length} resource(s) the program replaced; this preview shows them as deletes, but \`npm run up\` removes them from the state first and deletes nothing in the cloud:`,
        );
        lines.forEach((line) => ctx.err(line));
      }
    }
  }

  const progress = new ProgressTracker(ctx.out);
  const expectNoChanges = options.expectNoChanges === true;
  const markdownFile = options.markdownFile;
  const writeReport = (counts: Record<string, number | undefined>, nextStep?: string) => {
    if (!markdownFile) return;
    const text = driftMarkdown({
      stack,
      operation,
      refreshed: refresh || operation === "refresh",
      changes: progress.changes,
      counts: counts as Record<string, number>,
      nextStep,
    });
    ctx.writeFile(path.resolve(markdownFile), text);
  };
  let changes;
  try {
    const result = await selected.run(operation, {
      target,
      expectNoChanges,
      diff: options.diff === true,
      ...(refresh ? { refresh } : {}),
      ...(runsPolicies ? { policyPacks: [policyPack] } : {}),
      onEvent: progress.onEvent,
      onOutput: options.diff === true ? (text) => ctx.out(text.replace(/\n$/, "")) : undefined,
    });
    changes = result.changes;
  } catch (e) {
    if (!(e instanceof OperationFailedError)) throw e;
    const counted = progress.summary ?? {};
    if (expectNoChanges && (changedCount(counted) > 0 || progress.changes.length > 0)) {
      const error = driftError(operation, stack, progress.changes.length || changedCount(counted));
      writeReport(counted, error.problems[1]);
      throw error;
    }
    throw new DeployError([
      `pulumi ${operation} of stack "${stack}" failed:`,
      ...e.details.map((l) => `  ${l}`),
    ]);
  }
  ctx.out(formatSummary(operation, stack, changes));

  const jsonFile = options.jsonFile;
  if (jsonFile) {
    const summary = {
      project: "mlplatform",
      stack,
      operation,
      service: service ?? null,
      backend: backend.shown,
      refresh,
      changes,
      changed: changedCount(changes),
      resources: progress.changes,
    };
    ctx.writeFile(path.resolve(jsonFile), `${JSON.stringify(summary, null, 2)}\n`);
  }
  // A refresh step that found the cloud changed is drift too, even when the code would not act on it.
  const drifted = Math.max(changedCount(changes), progress.changes.length);
  if (expectNoChanges && drifted > 0) {
    const error = driftError(operation, stack, drifted);
    writeReport(changes, error.problems[1]);
    throw error;
  }
  if (expectNoChanges) writeReport(changes);
  return 0;
}

function driftError(operation: string, stack: string, count: number): DeployError {
  const changes = `${count} resource change${count === 1 ? "" : "s"} listed above`;
  if (operation === "refresh") {
    return new DeployError([
      `drift: the cloud resources of stack "${stack}" were changed outside Pulumi (${changes}).`,
      `Review them, then run \`npm run refresh -- --stack ${stack}\` to record them and \`npm run up -- --stack ${stack}\` to put back what the code declares.`,
    ]);
  }
  return new DeployError([
    `drift: stack "${stack}" does not match the code (${changes}).`,
    `If the code changed without a deployment, run \`npm run up -- --stack ${stack}\`; if the cloud was changed by hand, ` +
      `run \`npm run refresh -- --stack ${stack}\` first, then \`npm run up -- --stack ${stack}\`.`,
  ]);
}
