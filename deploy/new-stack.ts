/**
 * `npm run new-stack` (its command line: cli/new-stack.ts): a new environment stack. Writes stacks/Pulumi.<name>.yaml
 * with every required plain setting (validated like any stack file) and
 * `pulumi:disable-default-providers: ["*"]`, creates the stack in the backend with its secrets
 * provider, and prints the commands that set the secret settings.
 *
 * `--existing` creates the backend's stack for a stack file that is already committed (the first
 * deployment of dev and prod): the only command that creates stacks, since preview, up, refresh and
 * destroy only select them.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { CONFIG_NAMESPACE, parseSettings, SETTINGS, SettingSpec } from "../catalog/settings";
import { displayPath, readStackFile } from "../catalog/stacks";
import { Backend, backendLine, selectBackend } from "./backend";
import type { DeployContext } from "./command";
import { DeployError } from "./errors";
import { DeployInputError } from "./input-error";
import { DISABLE_DEFAULT_PROVIDERS_KEY, deployConfigProblems } from "../catalog/stack-config";
import { loadStackForDeploy, stackFileNames } from "./stack-file";
import { DeployWorkspace } from "./workspace";

export const NEW_STACK_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const PROVIDER =
  /^(passphrase|default|awskms:\/\/\S+|azurekeyvault:\/\/\S+|gcpkms:\/\/\S+|hashivault:\/\/\S+)$/;

/** The settings a stack file holds in plain text: each is an option of new-stack. */
export const PLAIN_SETTINGS = SETTINGS.filter((s) => !s.secret);
const SECRET_SETTINGS = SETTINGS.filter((s) => s.secret);

/** What new-stack does; cli/new-stack.ts builds it from the flags. */
export interface NewStackOptions {
  /** The new stack's name (NEW_STACK_NAME). */
  name: string;
  /** passphrase, default, or a KMS URL (awskms://alias/<key>...). */
  secretsProvider: string;
  /** Create the backend's stack for the committed stack file instead of writing one. Defaults to false. */
  existing?: boolean;
  /** Copy the plain settings of this stack's file first. Defaults to none. */
  from?: string;
  /** Create the stack in the backend too. Defaults to true. */
  init?: boolean;
  /** Use the repository's own file backend. Defaults to false. */
  local?: boolean;
  /** Plain setting values by key (catalog/settings.ts), as text; lists and maps as JSON. */
  settings?: Record<string, string>;
}

/** Required settings that were neither given nor copied: the caller names them its own way. */
export class MissingSettingsError extends DeployInputError {
  constructor(
    readonly stack: string,
    readonly missing: SettingSpec[],
  ) {
    super(
      `missing settings for stack ${stack}: ${missing.map((s) => `${s.key} (${s.description.replace(/\.$/, "")})`).join("; ")}`,
    );
  }
}

export type NewStackContext = Pick<
  DeployContext,
  | "env"
  | "projectDir"
  | "stacksDir"
  | "homeDir"
  | "readFile"
  | "makeDir"
  | "openWorkspace"
  | "out"
  | "err"
>;

/** The commands that set each secret setting; each prompts, so no value lands in shell history. */
export function secretCommands(stack: string): string[] {
  return SECRET_SETTINGS.map(
    (s) => `pulumi config set --secret ${CONFIG_NAMESPACE}:${s.key} --stack ${stack}`,
  );
}

/** The stack file's text; throws SettingsError (naming the flag's key) for an invalid value. */
export function stackFileText(
  name: string,
  values: Record<string, unknown>,
  given: ReadonlySet<string>,
  source: string,
): string {
  const settings = parseSettings(name, values, source) as unknown as Record<string, unknown>;
  // Every stack refuses default providers: a resource without an explicit one fails.
  const config: Record<string, unknown> = { [DISABLE_DEFAULT_PROVIDERS_KEY]: ["*"] };
  for (const spec of PLAIN_SETTINGS) {
    // Required keys and the ones the user chose; defaults stay implicit (documented once).
    if (spec.default === undefined || given.has(spec.key)) {
      config[`${CONFIG_NAMESPACE}:${spec.key}`] = settings[spec.key];
    }
  }
  const header = [
    `# Stack ${name}. Every key is documented in catalog/settings.ts and the README's "Stack settings"`,
    "# table. Tokens are not here: set them with `pulumi config set --secret` (docs/deploy.md).",
  ];
  return `${header.join("\n")}\n${YAML.stringify({ config }, { lineWidth: 0 })}`;
}

function passphraseProblem(provider: string, env: NewStackContext["env"]): DeployError | undefined {
  if (
    provider !== "passphrase" ||
    env.PULUMI_CONFIG_PASSPHRASE ||
    env.PULUMI_CONFIG_PASSPHRASE_FILE
  ) {
    return undefined;
  }
  return new DeployError([
    "--secrets-provider passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file holding the passphrase) or PULUMI_CONFIG_PASSPHRASE first; nothing was written.",
  ]);
}

/** `existing`: the backend's stack for a committed stack file. */
async function initExisting(
  name: string,
  provider: string,
  options: NewStackOptions,
  ctx: NewStackContext,
): Promise<number> {
  const workspace = await ctx.openWorkspace();
  const backend = selectBackend(ctx, options.local === true);
  ctx.err(backendLine(backend));
  const file = path.join(ctx.stacksDir, `Pulumi.${name}.yaml`);
  if (!fs.existsSync(file)) {
    throw new DeployError([
      `--existing: there is no ${displayPath(file)} (stacks: ${stackFileNames(ctx.stacksDir).join(", ") || "none"}). For a new environment, run new-stack without --existing.`,
    ]);
  }
  const stack = loadStackForDeploy(ctx.stacksDir, name);
  if (stack.secretsProvider !== "unset" && stack.secretsProvider !== provider) {
    throw new DeployError([
      `${stack.info.file} already names the secrets provider ${stack.secretsProvider}; creating the stack with ${provider} would make its secret settings unreadable. Use --secrets-provider '${stack.secretsProvider}'.`,
    ]);
  }
  const pass = passphraseProblem(provider, ctx.env);
  if (pass) throw pass;
  await create(workspace, backend, name, provider, ctx);
  ctx.out(
    `Pulumi recorded the secrets provider in ${stack.info.file} (secretsprovider/encryptedkey or encryptionsalt): commit that change.`,
  );
  printSecretSteps(name, backend, ctx);
  ctx.out(`Then: npm run preview -- --stack ${name}, and npm run up -- --stack ${name}`);
  return 0;
}

async function create(
  workspace: DeployWorkspace,
  backend: Backend,
  name: string,
  provider: string,
  ctx: NewStackContext,
): Promise<void> {
  const location = {
    stackName: name,
    workDir: ctx.projectDir,
    envVars: { PULUMI_BACKEND_URL: backend.url },
  };
  await workspace.createStack(location, provider);
  ctx.out(`created stack ${name} in ${backend.shown} (secrets provider: ${provider})`);
}

/** The line that points a shell at the same backend (for `pulumi config set`), when not obvious. */
function backendExport(backend: Backend | undefined): string[] {
  const implicit =
    backend?.source === "pulumi login" || backend?.source === "Pulumi.yaml backend.url";
  return backend && !implicit
    ? [`export PULUMI_BACKEND_URL=${backend.shown}   # the backend the deploy commands use`]
    : [];
}

function printSecretSteps(name: string, backend: Backend | undefined, ctx: NewStackContext): void {
  ctx.out(
    "Next, set the secret settings (each command prompts for the value, from the repository root):",
  );
  for (const line of [...backendExport(backend), ...secretCommands(name)]) ctx.out(`  ${line}`);
}

export async function newStack(options: NewStackOptions, ctx: NewStackContext): Promise<number> {
  const { name, secretsProvider: provider } = options;
  if (!NEW_STACK_NAME.test(name)) {
    throw new DeployInputError(
      `--name ${name}: a stack name is lowercase letters, digits and dashes, starting with a letter (at most 30)`,
    );
  }
  if (!PROVIDER.test(provider)) {
    throw new DeployInputError(
      `--secrets-provider ${provider}: expected passphrase, default, or a KMS URL such as awskms://alias/pulumi-mlplatform`,
    );
  }
  if (options.existing === true) return initExisting(name, provider, options, ctx);

  const init = options.init !== false;
  // 1. The Pulumi CLI first, so that a missing CLI leaves nothing half-done; then the backend.
  const workspace = init ? await ctx.openWorkspace() : undefined;
  const backend =
    init || options.local === true ? selectBackend(ctx, options.local === true) : undefined;
  if (backend) ctx.err(backendLine(backend));

  // 2. The stack file.
  const file = path.join(ctx.stacksDir, `Pulumi.${name}.yaml`);
  if (fs.existsSync(file)) {
    throw new DeployError([
      `${displayPath(file)} already exists; nothing was changed. Edit it, or pick another --name` +
        (init
          ? `; to create the backend's stack for it: npm run new-stack -- --name ${name} --existing --secrets-provider '${provider}'.`
          : "."),
    ]);
  }

  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const from = options.from;
  if (from !== undefined) {
    const source = path.join(ctx.stacksDir, `Pulumi.${from}.yaml`);
    if (!fs.existsSync(source)) {
      throw new DeployInputError(
        `--from ${from}: no ${displayPath(source)} (stacks: ${stackFileNames(ctx.stacksDir).join(", ")})`,
      );
    }
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [key, value] of Object.entries(readStackFile(source).config)) {
      const bare = key.slice(prefix.length);
      if (!key.startsWith(prefix) || SECRET_SETTINGS.some((s) => s.key === bare)) continue;
      values[bare] = value;
      given.add(bare);
    }
  }
  for (const s of PLAIN_SETTINGS) {
    const value = options.settings?.[s.key];
    if (value === undefined) continue;
    values[s.key] = value;
    given.add(s.key);
  }
  const missing = PLAIN_SETTINGS.filter((s) => s.default === undefined && !given.has(s.key));
  if (missing.length > 0) {
    throw new MissingSettingsError(name, missing);
  }
  const text = stackFileText(name, values, given, `new stack ${name}`);
  const parsed = (YAML.parse(text) as { config: Record<string, unknown> }).config;
  const problems = deployConfigProblems(parsed, `new stack ${name}`);
  if (problems.length > 0) throw new DeployError(problems);

  // 3. The credentials the secrets provider needs.
  if (init) {
    const pass = passphraseProblem(provider, ctx.env);
    if (pass) throw pass;
  }
  fs.writeFileSync(file, text);
  ctx.out(`wrote ${displayPath(file)}`);
  if (workspace && backend) {
    await create(workspace, backend, name, provider, ctx);
  } else {
    ctx.out("not created in the backend (--no-init); create it with:");
    ctx.out(`  npm run new-stack -- --name ${name} --existing --secrets-provider '${provider}'`);
  }
  printSecretSteps(name, backend, ctx);
  ctx.out(
    `Then add "${String(values.environment)}" to the environments of the services it should run, and check it with: npm run preview -- --stack ${name}`,
  );
  return 0;
}
