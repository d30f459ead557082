/**
 * npm run new-stack -- --name <stack> --secrets-provider <provider> [--from <stack>] [--no-init]
 *                      [--local] --<setting> <value> ...
 * npm run new-stack -- --name <stack> --existing --secrets-provider <provider> [--local]
 *
 * The only command that creates a stack in the backend (preview, up, refresh and destroy only
 * select one). Without --existing: writes stacks/Pulumi.<stack>.yaml, creates the stack in the
 * backend (unless --no-init) and prints the commands that set its secrets. With --existing:
 * creates the backend's stack for a committed stack file (its first deployment). The Pulumi CLI is
 * checked first, then the backend (printed). Exit 0 on success, 1 on a problem the user fixes, 2
 * on a usage error. Settings are kebab-case flags (--aws-account-id); the camelCase spelling of
 * the previous release (--awsAccountId) still works, with a deprecation line on stderr.
 */
// First: the SDK's serializer dependencies load only if used (offline/start.ts).
import "../offline/start";
import type { NewStackContext } from "../deploy/new-stack";
import { SETTINGS, SettingSpec } from "../catalog/settings";
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
import { defaultDeployContext } from "./deploy";

/** The flag of a setting: its key in kebab-case (awsAccountId -> aws-account-id). */
export function settingFlag(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Example values of the required settings (the others show their default). */
const EXAMPLES: Record<string, string> = {
  environment: "stg",
  awsAccountId: "333333333333",
  deployRoleArn: "arn:aws:iam::333333333333:role/mlplatform-deploy-stg",
  awsRegion: "eu-central-1",
  namePrefix: "mlps",
  githubOrganization: "acme-ml",
  droneServer: "https://drone.acme-ml.example",
  droneRunnerRoleArn: "arn:aws:iam::333333333333:role/drone-runner-stg",
  databricksHost: "https://dbc-stg-1.cloud.databricks.com",
  databricksClientId: "11111111-2222-3333-4444-555555555555",
  databricksCrossAccountRoleArn: "arn:aws:iam::333333333333:role/databricks-cross-account-stg",
  modelCatalog: "ml_stg",
  modelSchema: "models",
};

const PLAIN_SETTINGS = SETTINGS.filter((s) => !s.secret);

function exampleValue(s: SettingSpec): string {
  if (EXAMPLES[s.key] !== undefined) return EXAMPLES[s.key];
  if (s.type === "boolean") return s.default === true ? "false" : "true";
  if (s.type === "integer") return String(s.default ?? 30);
  if (s.type === "string-list") return `'["a","b"]'`;
  if (s.type === "string-map") return `'{"team":"ml"}'`;
  return s.allowed?.[s.allowed.length - 1] ?? "VALUE";
}

function settingOption(s: SettingSpec): OptionSpec {
  const flag = settingFlag(s.key);
  return {
    type: "string",
    value: s.type === "string-list" || s.type === "string-map" ? "JSON" : "VALUE",
    description: `${s.description.split(/\.(?:\s|$)/)[0]} (mlplatform:${s.key})`,
    default:
      s.default === undefined ? "required unless copied with --from" : JSON.stringify(s.default),
    example: `--${flag} ${exampleValue(s)}`,
    ...(flag !== s.key ? { deprecated: [s.key] } : {}),
  };
}

export const NEW_STACK_COMMAND: CommandSpec = {
  command: "npm run new-stack --",
  summary: [
    "Writes stacks/Pulumi.<name>.yaml with every required plain setting (validated like any stack",
    "file), creates the stack in the state backend with its secrets provider, and prints the",
    "commands that set the secret settings. With --existing: creates the backend's stack for a",
    "committed stack file (its first deployment). The only command that creates stacks.",
  ].join("\n"),
  options: {
    name: {
      type: "string",
      value: "STACK",
      description: "the new stack's name (lowercase letters, digits, dashes; at most 30)",
      default: "required",
      example: "--name staging",
      required: true,
    },
    "secrets-provider": {
      type: "string",
      value: "PROVIDER",
      description:
        "passphrase (local use), awskms://alias/<key> (teams), or default (Pulumi Cloud)",
      default: "required",
      example: "--secrets-provider awskms://alias/pulumi-mlplatform",
      required: true,
    },
    existing: switchOption(
      "--existing",
      "create the backend's stack for the committed stack file; no setting flags",
      "off: write a new stack file",
    ),
    from: {
      type: "string",
      value: "STACK",
      description: "copy the plain settings of this stack's file first",
      default: "none",
      example: "--from dev",
    },
    "no-init": switchOption(
      "--no-init",
      "only write the stack file; create the backend's stack later with --existing",
    ),
    local: LOCAL_STATE_OPTION,
    ...Object.fromEntries(PLAIN_SETTINGS.map((s) => [settingFlag(s.key), settingOption(s)])),
  },
  exitCodes: "0 done, 1 a problem you fix (nothing half-written), 2 usage error",
  notes: ["lists and maps are given as JSON; secret settings are set afterwards, as printed."],
  examples: [
    "npm run new-stack -- --name staging --secrets-provider awskms://alias/pulumi-mlplatform --from prod --environment stg --aws-account-id 333333333333 --deploy-role-arn arn:aws:iam::333333333333:role/mlplatform-deploy-stg",
    "npm run new-stack -- --name dev --existing --secrets-provider awskms://alias/pulumi-mlplatform",
  ],
};

/** The command line against a context; prints errors without a stack trace; the exit code. */
export async function runNewStackCommand(argv: string[], ctx: NewStackContext): Promise<number> {
  const report = { err: (text: string) => ctx.err(text.replace(/\n$/, "")), env: ctx.env };
  const usage = usageLine(NEW_STACK_COMMAND);
  try {
    const args = parseCommandLine(NEW_STACK_COMMAND, argv);
    if (args === "help") return printHelp(NEW_STACK_COMMAND, (t) => ctx.out(t.replace(/\n$/, "")));
    for (const warning of args.warnings) ctx.err(warning);
    const values = args.values as Record<string, string | boolean | undefined>;
    const settings: Record<string, string> = {};
    for (const s of PLAIN_SETTINGS) {
      const value = values[settingFlag(s.key)];
      if (typeof value === "string") settings[s.key] = value;
    }
    if (values.existing === true) {
      const extra = Object.keys(values).filter(
        (f) => !["name", "secrets-provider", "existing", "local"].includes(f),
      );
      if (extra.length > 0) {
        throw new UsageError(
          `--existing uses the committed stack file as it is: ${extra.map((f) => `--${f}`).join(" ")} cannot be used with it`,
        );
      }
    }
    const { newStack, MissingSettingsError } = await import("../deploy/new-stack");
    try {
      return await newStack(
        {
          name: values.name as string,
          secretsProvider: values["secrets-provider"] as string,
          existing: values.existing === true,
          from: values.from as string | undefined,
          init: values["no-init"] !== true,
          local: values.local === true,
          settings,
        },
        ctx,
      );
    } catch (e) {
      if (!(e instanceof MissingSettingsError)) throw e;
      throw new UsageError(
        `missing settings for stack ${e.stack}: ${e.missing.map((s) => `--${settingFlag(s.key)} (${s.description.replace(/\.$/, "")})`).join("; ")}`,
      );
    }
  } catch (error) {
    return exitCodeFor(error, usage, report, "written");
  }
}

if (require.main === module) {
  runNewStackCommand(process.argv.slice(2), defaultDeployContext()).then((code) =>
    process.exit(code),
  );
}
