/**
 * npm run render -- <service> --out DIR [--stack STACK] [--account ACCOUNT] [--force] ...
 *
 * Writes the repository the platform would scaffold for one service, as the platform creates it:
 * a Git repository on the stack's default branch with one commit of every file. Offline: the AWS
 * account id is the placeholder 000000000000 unless --account or --stack names one. Exit codes:
 * 0 written, 1 unknown service, invalid catalog or git failure (one line, no stack trace),
 * 2 usage error (a non-empty folder without --force included).
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as fs from "fs";
import * as path from "path";
import { loadCatalog } from "../catalog/load";
import { resolveService } from "../catalog/resolve";
import { ecrRegistryHost, platformNames } from "../catalog/names";
import { OFFLINE_ACCOUNT_ID } from "../offline/plan/mock-engine";
import {
  baseImageTag,
  productionEnvironmentsOf,
  renderServiceRepository,
  RenderError,
  writeRenderedRepository,
  WrittenRepository,
} from "../program/render";
import {
  DEFAULT_SERVICES_DIR,
  DEFAULT_STACKS_DIR,
  displayPath,
  stacksOrThrow,
} from "../catalog/stacks";
import {
  CommandSpec,
  parseCommandLine,
  printHelp,
  runMain,
  SERVICES_DIR_OPTION,
  switchOption,
  usageLine,
  UsageError,
} from "./command";

export const SPEC = {
  command: "npm run render --",
  summary: [
    "Writes the repository the platform scaffolds for one service into a new folder, as a Git",
    "repository on the stack's default branch with one commit of every file (the platform's",
    "identity and message), ready for `pre-commit run --all-files`. Offline: no cloud, no token.",
  ].join("\n"),
  positionals: [
    {
      name: "<service>",
      description: "the service's name in the catalog",
      default: "none (required)",
      example: "product-recommender",
      required: true,
    },
  ],
  options: {
    out: {
      type: "string",
      value: "DIR",
      description: "folder to create (or an empty one); refused when not empty unless --force",
      default: "none (required)",
      example: "--out /tmp/product-recommender",
      required: true,
    },
    stack: {
      type: "string",
      value: "STACK",
      description:
        "stack whose settings render the files; its awsAccountId becomes the account unless --account",
      default:
        "the stack of the service's first environment (which owns its repository), account placeholder",
      example: "--stack prod",
    },
    account: {
      type: "string",
      value: "ACCOUNT",
      description: "AWS account id (12 digits) of the ECR registry host and role ARNs in the files",
      default: `${OFFLINE_ACCOUNT_ID} (a placeholder), or the awsAccountId of --stack`,
      example: "--account 123456789012",
    },
    force: switchOption(
      "--force",
      "write into a non-empty folder: same paths overwritten, nothing deleted; no commit inside an existing Git repository",
    ),
    services: SERVICES_DIR_OPTION,
    stacks: {
      type: "string",
      value: "DIR",
      description: "the stack files' folder",
      default: "stacks/",
      example: "--stacks ./my-stacks",
    },
  },
  exitCodes:
    "0 written, 1 unknown service, service not in the stack, invalid catalog or git failure, 2 usage error",
  examples: [
    "npm run render -- product-recommender --out /tmp/product-recommender",
    "npm run render -- demand-forecast --out /tmp/demand-forecast --stack prod",
    "npm run render -- search-ranking --out /tmp/search-ranking --account 123456789012",
  ],
} as const satisfies CommandSpec;

export const USAGE = usageLine(SPEC);

const ACCOUNT_ID = /^\d{12}$/;

export interface RenderCliResult extends WrittenRepository {
  stack: string;
  accountId: string;
  /** Where the account id came from: the flag, the stack file, or the placeholder. */
  accountSource: "--account" | "stack" | "placeholder";
  /** The stack file (as shown) whose settings rendered the files. */
  stackFile: string;
}

/** Renders and writes; throws UsageError, OutputFolderError, CatalogError or RenderError. */
export function renderCommand(argv: string[]): RenderCliResult | "help" {
  const args = parseCommandLine(SPEC, argv);
  if (args === "help") return "help";
  const serviceName = args.positionals[0];
  const account = args.values.account;
  if (account !== undefined && !ACCOUNT_ID.test(account)) {
    throw new UsageError(
      `--account "${account.slice(0, 40)}": expected exactly 12 digits (an AWS account id, e.g. 123456789012)`,
    );
  }
  const servicesDir = path.resolve(args.values.services ?? DEFAULT_SERVICES_DIR);
  const stacksDir = path.resolve(args.values.stacks ?? DEFAULT_STACKS_DIR);
  for (const [flag, dir] of [
    ["services", servicesDir],
    ["stacks", stacksDir],
  ]) {
    if (!fs.existsSync(dir)) throw new UsageError(`--${flag} ${dir}: no such folder`);
  }
  const stacks = stacksOrThrow(stacksDir);
  const catalog = loadCatalog(servicesDir, stacks);
  const file = catalog.find((f) => f.entry.name === serviceName);
  if (!file) {
    const known = catalog.map((f) => f.entry.name).sort();
    throw new RenderError(
      `unknown service "${serviceName.slice(0, 100)}" in ${displayPath(servicesDir)} (known: ${known.join(", ") || "none"})`,
    );
  }
  const entry = file.entry;
  const stackName = args.values.stack;
  const stack = stackName
    ? stacks.find((s) => s.stack === stackName)
    : // The stack of the source environment renders the repository when the platform deploys.
      stacks.find((s) => s.settings.environment === entry.environments[0]);
  if (!stack) {
    throw new UsageError(
      stackName
        ? `--stack ${stackName.slice(0, 100)}: no such stack (known: ${stacks.map((s) => s.stack).join(", ")})`
        : `${file.file}: environments: no stack deploys ${entry.environments[0]} (stacks: ${stacks.map((s) => s.stack).join(", ")}); pass --stack`,
    );
  }
  if (!entry.environments.includes(stack.settings.environment)) {
    throw new RenderError(
      `${file.file}: environments: ${entry.name} is not deployed in ${stack.settings.environment} (stack ${stack.stack}); it lists ${entry.environments.join(", ")}`,
    );
  }
  const settings = stack.settings;
  const accountSource = account ? "--account" : stackName ? "stack" : "placeholder";
  const accountId = account ?? (stackName ? settings.awsAccountId : OFFLINE_ACCOUNT_ID);
  const baseImage = `${ecrRegistryHost(accountId, settings.awsRegion)}/${platformNames(settings.environment, settings.namePrefix).baseImageRepository}:${baseImageTag()}`;
  const files = renderServiceRepository(resolveService(entry, settings), settings, {
    baseImage,
    accountId,
    defaultBranch: settings.githubDefaultBranch,
    productionEnvironments: productionEnvironmentsOf(stacks),
  });
  const written = writeRenderedRepository(path.resolve(args.values.out ?? ""), files, {
    force: args.values.force === true,
    branch: settings.githubDefaultBranch,
  });
  return { ...written, stack: stack.stack, stackFile: stack.file, accountId, accountSource };
}

/** What to tell the user after a render: where, which account, and what to run next. */
export function summary(result: RenderCliResult): string {
  const shown = displayPath(result.dir);
  const account =
    result.accountSource === "placeholder"
      ? `account ${result.accountId}: a placeholder, so the registry host and role ARNs are not real; pass --account or --stack for real values`
      : result.accountSource === "stack"
        ? `account ${result.accountId}, the awsAccountId of ${result.stackFile}`
        : `account ${result.accountId}`;
  const lines = [`wrote ${result.files} files to ${shown} (stack ${result.stack}, ${account})`];
  if (result.commit) {
    lines.push(
      `initialised a Git repository on branch ${result.commit.branch} with one commit ${result.commit.sha.slice(0, 12)} "${result.commit.message}"`,
    );
  } else {
    lines.push(
      `${shown} is already a Git repository: the files are written and left uncommitted (review them with git status and git diff)`,
    );
  }
  lines.push(
    "next, as the repository's README says:",
    `  cd ${shown}`,
    "  python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt",
    "  .venv/bin/pre-commit install && .venv/bin/pre-commit run --all-files",
    "  .venv/bin/mypy src tests && .venv/bin/python -m pytest",
  );
  return `${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const result = renderCommand(argv);
  if (result === "help") return printHelp(SPEC);
  process.stdout.write(summary(result));
  return 0;
}

if (require.main === module) runMain(SPEC, main);
