/**
 * npm run rollback -- <service> --stack <stack> [--to-version N] [--dry-run] [--yes] [--write-pin]
 *                     [--services DIR] [--stacks DIR]   (--help: every option)
 *
 * Moves a service's `champion` back in one environment (deploy/rollback/rollback.ts; the runbook is
 * docs/models.md, "A bad model is in production"). Exit codes: 0 done (or nothing to do),
 * 1 refused (the reason is printed), 2 usage error. No stack trace for user errors
 * (MLPLATFORM_DEBUG=1 prints one for unexpected errors).
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import * as path from "path";
import * as readline from "readline";
import { CatalogError } from "../catalog/errors";
import { awsCliRegistryImages } from "../deploy/rollback/registry-images";
import {
  Refusal,
  rollback,
  RollbackIO,
  RollbackOptions,
  RollbackUsageError,
  ROLLED_BACK_FROM,
  SECRET_ENV,
} from "../deploy/rollback/rollback";
import { ALLOW_HTTP_HOSTS_ENV } from "../deploy/rollback/stacks";
import { DatabricksApiError } from "../deploy/rollback/uc-client";
import { SettingsError } from "../catalog/settings";
import { DEFAULT_SERVICES_DIR, DEFAULT_STACKS_DIR } from "../catalog/stacks";
import {
  CommandSpec,
  helpText,
  parseCommandLine,
  switchOption,
  usageLine,
  UsageError,
} from "./command";

export const ROLLBACK_COMMAND = {
  command: "npm run rollback --",
  summary: `Moves the Unity Catalog alias "champion" of <service>'s model, in <stack>'s environment, back to
an earlier version, as the platform's Databricks principal (client id: the stack file's
databricksClientId; secret: the variable ${SECRET_ENV}). Refuses a version that
does not exist, did not pass the gate, or whose image is no longer in the environment's ECR
registry; tags the new champion ${ROLLED_BACK_FROM}=<old champion>. Never edits a Databricks job: the image the jobs run is the
catalog pin, changed by pull request (--write-pin writes it into the entry for you).`,
  positionals: [
    {
      name: "<service>",
      description: "the catalog entry's name (services/<service>.yaml)",
      default: "required",
      example: "product-recommender",
      required: true,
    },
  ],
  options: {
    stack: {
      type: "string",
      value: "STACK",
      description: "the stack to roll back in (its environment)",
      default: "required",
      example: "--stack prod",
      required: true,
    },
    "to-version": {
      type: "string",
      value: "N",
      description: "the version to make champion",
      default: "the champion's previous_champion tag",
      example: "--to-version 3",
    },
    "dry-run": switchOption("--dry-run", "show before and after, write nothing"),
    yes: switchOption(
      "--yes",
      "move without asking (needed without a terminal)",
      "off: asks on a terminal",
    ),
    "write-pin": switchOption(
      "--write-pin",
      "write images.<env> of the target's image",
      "off: prints the YAML to apply",
    ),
    services: {
      type: "string",
      value: "DIR",
      description: "the catalog folder",
      default: "services/",
      example: "--services ./services",
    },
    stacks: {
      type: "string",
      value: "DIR",
      description: "the stacks folder",
      default: "stacks/",
      example: "--stacks ./stacks",
    },
  },
  exitCodes: "0 done (or nothing to do), 1 refused (the reason is printed), 2 usage error.",
  notes: [
    `environment: ${SECRET_ENV} (required);`,
    `             ${ALLOW_HTTP_HOSTS_ENV} (tests only: loopback hosts whose databricksHost may`,
    "             be plain http, e.g. 127.0.0.1).",
  ],
  examples: [
    "npm run rollback -- product-recommender --stack prod --dry-run",
    "npm run rollback -- product-recommender --stack prod --to-version 3 --write-pin",
  ],
} as const satisfies CommandSpec;

export const USAGE = usageLine(ROLLBACK_COMMAND);
export const HELP = helpText(ROLLBACK_COMMAND);

/** Parsed options, or "help". Throws UsageError. */
export function parseRollbackArgs(argv: string[]): RollbackOptions | "help" {
  const parsed = parseCommandLine(ROLLBACK_COMMAND, argv);
  if (parsed === "help") return "help";
  const { values, positionals } = parsed;
  let toVersion: number | undefined;
  if (values["to-version"] !== undefined) {
    if (!/^[1-9]\d{0,9}$/.test(values["to-version"])) {
      throw new UsageError(
        `--to-version "${values["to-version"]}" is not a version number (a positive integer)`,
      );
    }
    toVersion = Number(values["to-version"]);
  }
  return {
    service: positionals[0],
    stack: values.stack!,
    toVersion,
    dryRun: values["dry-run"] ?? false,
    yes: values.yes ?? false,
    writePin: values["write-pin"] ?? false,
    servicesDir: path.resolve(values.services ?? DEFAULT_SERVICES_DIR),
    stacksDir: path.resolve(values.stacks ?? DEFAULT_STACKS_DIR),
  };
}

export interface CliIO extends Partial<RollbackIO> {
  err?: (text: string) => void;
}

/** Runs the command; resolves to the exit code, never throws for user errors. */
export async function main(argv: string[], io: CliIO = {}): Promise<number> {
  const out = io.out ?? ((t: string) => void process.stdout.write(t));
  const err = io.err ?? ((t: string) => void process.stderr.write(t));
  const env = io.env ?? process.env;
  try {
    const options = parseRollbackArgs(argv);
    if (options === "help") {
      out(`${HELP}\n`);
      return 0;
    }
    return await rollback(options, {
      env,
      out,
      isTTY: io.isTTY ?? Boolean(process.stdin.isTTY),
      confirm: io.confirm ?? askOnTerminal,
      registryImages: io.registryImages ?? awsCliRegistryImages({ env }),
      http: io.http,
    });
  } catch (e) {
    if (e instanceof UsageError || e instanceof RollbackUsageError) {
      err(`error: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof CatalogError || e instanceof SettingsError) {
      err(
        `error: the catalog or stack settings are invalid; nothing was done:\n${e.problems.join("\n")}\n`,
      );
      return 1;
    }
    if (e instanceof Refusal) {
      err(`refused: ${e.message}\n`);
      return 1;
    }
    if (e instanceof DatabricksApiError) {
      err(`error: ${e.message}${apiHint(e)}\n`);
      return 1;
    }
    const message = e instanceof Error ? e.message : String(e);
    err(`error: ${message}\n`);
    if (env.MLPLATFORM_DEBUG && e instanceof Error) err(`${e.stack}\n`);
    return 1;
  }
}

function apiHint(e: DatabricksApiError): string {
  if (e.endpoint.includes("/oidc/v1/token") && (e.status === 400 || e.status === 401)) {
    return `\nhint: check the stack's mlplatform:databricksClientId and ${SECRET_ENV} (the OAuth secret of that service principal)`;
  }
  if (e.status === 401) return `\nhint: the OAuth token was refused; run again`;
  if (e.status === 403 && e.endpoint.startsWith("GET ")) {
    return "\nhint: the platform's Databricks principal may not read the model (it needs EXECUTE on it, or to own it, and USE_CATALOG / USE_SCHEMA); nothing was changed";
  }
  if (e.status === 403) {
    return "\nhint: the platform's Databricks principal may not change the model: moving an alias or setting a tag needs the model's owner or a metastore admin (docs/models.md, \"A bad model is in production\"); this call changed nothing";
  }
  return "";
}

function askOnTerminal(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
