/**
 * `npm run new-stack`: a new environment stack, from flags only. Writes stacks/Pulumi.<name>.yaml
 * with every required plain setting (validated like any stack file), creates the stack in the
 * backend with its secrets provider, and prints the commands that set the secret settings.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { FlagSpec, parseArgs, stringFlag, UsageError } from "../cli-args";
import { CONFIG_NAMESPACE, parseSettings, SETTINGS } from "../settings";
import { displayPath, readStackFile } from "../stacks";
import { selectBackend } from "./backend";
import { DeployContext, reportError } from "./command";
import { DeployError } from "./errors";
import { stackFileNames } from "./stack-file";

export const NEW_STACK_NAME = /^[a-z][a-z0-9-]{0,29}$/;
const PROVIDER =
  /^(passphrase|default|awskms:\/\/\S+|azurekeyvault:\/\/\S+|gcpkms:\/\/\S+|hashivault:\/\/\S+)$/;

const PLAIN_SETTINGS = SETTINGS.filter((s) => !s.secret);
const SECRET_SETTINGS = SETTINGS.filter((s) => s.secret);

export const NEW_STACK_USAGE = [
  "usage: npm run new-stack -- --name <stack> --secrets-provider passphrase|awskms://alias/<key>|default",
  "         [--from <stack>] [--no-init] --<setting> <value> ...",
  `       settings (required unless copied with --from): ${PLAIN_SETTINGS.filter(
    (s) => s.default === undefined,
  )
    .map((s) => `--${s.key}`)
    .join(" ")}`,
  `       optional: ${PLAIN_SETTINGS.filter((s) => s.default !== undefined)
    .map((s) => `--${s.key}`)
    .join(" ")} (lists and maps as JSON)`,
].join("\n");

export type NewStackContext = Pick<
  DeployContext,
  "env" | "projectDir" | "stacksDir" | "makeDir" | "openWorkspace" | "out" | "err"
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
  const config: Record<string, unknown> = {};
  for (const spec of PLAIN_SETTINGS) {
    // Required keys and the ones the user chose; defaults stay implicit (documented once).
    if (spec.default === undefined || given.has(spec.key)) {
      config[`${CONFIG_NAMESPACE}:${spec.key}`] = settings[spec.key];
    }
  }
  const header = [
    `# Stack ${name}. Every key is documented in lib/settings.ts and the README's "Stack settings"`,
    "# table. Tokens are not here: set them with `pulumi config set --secret` (docs/deploy.md).",
  ];
  return `${header.join("\n")}\n${YAML.stringify({ config }, { lineWidth: 0 })}`;
}

export async function newStack(argv: string[], ctx: NewStackContext): Promise<number> {
  const spec: Record<string, FlagSpec> = {
    name: { value: true },
    "secrets-provider": { value: true },
    from: { value: true },
    "no-init": { value: false },
  };
  for (const s of PLAIN_SETTINGS) spec[s.key] = { value: true };
  const args = parseArgs(argv, spec);
  const name = stringFlag(args, "name");
  if (!name) throw new UsageError("--name is required (the new stack's name, e.g. staging)");
  if (!NEW_STACK_NAME.test(name)) {
    throw new UsageError(
      `--name ${name}: a stack name is lowercase letters, digits and dashes, starting with a letter (at most 30)`,
    );
  }
  const provider = stringFlag(args, "secrets-provider");
  if (!provider) {
    throw new UsageError(
      "--secrets-provider is required: passphrase (local use), awskms://alias/<key> (teams), or default (Pulumi Cloud)",
    );
  }
  if (!PROVIDER.test(provider)) {
    throw new UsageError(
      `--secrets-provider ${provider}: expected passphrase, default, or a KMS URL such as awskms://alias/pulumi-mlplatform`,
    );
  }
  const file = path.join(ctx.stacksDir, `Pulumi.${name}.yaml`);
  if (fs.existsSync(file)) {
    throw new DeployError([
      `${displayPath(file)} already exists; nothing was changed. Edit it, or pick another --name.`,
    ]);
  }

  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  const from = stringFlag(args, "from");
  if (from !== undefined) {
    const source = path.join(ctx.stacksDir, `Pulumi.${from}.yaml`);
    if (!fs.existsSync(source)) {
      throw new UsageError(
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
    const value = stringFlag(args, s.key);
    if (value === undefined) continue;
    values[s.key] = value;
    given.add(s.key);
  }
  const missing = PLAIN_SETTINGS.filter((s) => s.default === undefined && !given.has(s.key));
  if (missing.length > 0) {
    throw new UsageError(
      `missing settings for stack ${name}: ${missing.map((s) => `--${s.key} (${s.description.replace(/\.$/, "")})`).join("; ")}`,
    );
  }
  const text = stackFileText(name, values, given, `new stack ${name}`);

  const backend = selectBackend(ctx.env, ctx.projectDir, ctx.makeDir);
  const init = args.flags["no-init"] !== true;
  if (init) {
    if (
      provider === "passphrase" &&
      !ctx.env.PULUMI_CONFIG_PASSPHRASE &&
      !ctx.env.PULUMI_CONFIG_PASSPHRASE_FILE
    ) {
      throw new DeployError([
        "--secrets-provider passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE (a file holding the passphrase) or PULUMI_CONFIG_PASSPHRASE first; nothing was written.",
      ]);
    }
  }
  // The CLI check comes first so that a missing CLI leaves nothing half-done.
  const workspace = init ? await ctx.openWorkspace() : undefined;
  fs.writeFileSync(file, text);
  ctx.out(`wrote ${displayPath(file)}`);
  const location = {
    stackName: name,
    workDir: ctx.projectDir,
    envVars: { PULUMI_BACKEND_URL: backend.url },
  };
  const backendLine = backend.local
    ? [
        `export PULUMI_BACKEND_URL=${backend.url}   # the repository's local state, as npm run up uses`,
      ]
    : [];
  if (workspace) {
    await workspace.createStack(location, provider);
    ctx.out(`created stack ${name} in ${backend.shown} (secrets provider: ${provider})`);
  } else {
    ctx.out("not created in the backend (--no-init); create it with:");
    for (const line of [
      ...backendLine,
      `pulumi stack init ${name} --secrets-provider ${provider}`,
    ]) {
      ctx.out(`  ${line}`);
    }
  }
  ctx.out(
    "Next, set the secret settings (each command prompts for the value, from the repository root):",
  );
  for (const line of [...backendLine, ...secretCommands(name)]) ctx.out(`  ${line}`);
  ctx.out(
    `Then add "${String(values.environment)}" to the environments of the services it should run, and check it with: npm run preview -- --stack ${name}`,
  );
  return 0;
}

export async function runNewStackCommand(argv: string[], ctx: NewStackContext): Promise<number> {
  try {
    return await newStack(argv, ctx);
  } catch (error) {
    return reportError(error, ctx, NEW_STACK_USAGE, "written");
  }
}
