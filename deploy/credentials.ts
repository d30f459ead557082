/**
 * Checks, before Pulumi runs, that every credential the program's providers need is present, so
 * a missing one is named with the config key or environment variable that supplies it.
 */
import * as path from "path";
import { CONFIG_NAMESPACE, SETTINGS } from "../catalog/settings";
import { Backend } from "./backend";
import { DeployStackFile } from "./stack-file";

export interface CredentialEnvironment {
  env: Record<string, string | undefined>;
  homeDir: string;
  exists: (file: string) => boolean;
  /** The runner has an instance role (EC2/ECS) the AWS SDK finds without any variable. */
  instanceCredentials: boolean;
}

function set(env: Record<string, string | undefined>, name: string): boolean {
  return (env[name] ?? "").trim().length > 0;
}

export function awsCredentialProblems(ctx: CredentialEnvironment): string[] {
  const { env } = ctx;
  if (set(env, "AWS_ACCESS_KEY_ID") !== set(env, "AWS_SECRET_ACCESS_KEY")) {
    return [
      "AWS: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (one of them is empty).",
    ];
  }
  const found =
    set(env, "AWS_ACCESS_KEY_ID") ||
    set(env, "AWS_PROFILE") ||
    set(env, "AWS_WEB_IDENTITY_TOKEN_FILE") ||
    set(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
    set(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") ||
    ctx.exists(env.AWS_SHARED_CREDENTIALS_FILE || path.join(ctx.homeDir, ".aws", "credentials")) ||
    ctx.exists(env.AWS_CONFIG_FILE || path.join(ctx.homeDir, ".aws", "config")) ||
    ctx.instanceCredentials;
  if (found) return [];
  return [
    "AWS: no credentials found. Set AWS_PROFILE (after `aws configure sso` / `aws sso login`), or " +
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; on a runner with an instance role pass --instance-credentials.",
  ];
}

/** The provider tokens (githubToken, databricksClientSecret, droneToken) must be set as secrets. */
export function secretConfigProblems(stack: DeployStackFile): string[] {
  const problems: string[] = [];
  for (const spec of SETTINGS.filter((s) => s.secret)) {
    const key = `${CONFIG_NAMESPACE}:${spec.key}`;
    const value = stack.info.config[key];
    if (typeof value === "object" && value !== null && "secure" in value) continue;
    problems.push(
      `${stack.info.file}: ${key} is not set (${spec.description.replace(/\.$/, "")}). Set it with: ` +
        `pulumi config set --secret ${key} --stack ${stack.info.stack}   (it prompts for the value)`,
    );
  }
  return problems;
}

export function backendCredentialProblems(
  stack: DeployStackFile,
  backend: Backend,
  ctx: CredentialEnvironment,
): string[] {
  const problems: string[] = [];
  const { env } = ctx;
  const passphrase =
    stack.secretsProvider === "passphrase" ||
    (stack.secretsProvider === "unset" && !backend.service);
  if (
    passphrase &&
    !set(env, "PULUMI_CONFIG_PASSPHRASE") &&
    !set(env, "PULUMI_CONFIG_PASSPHRASE_FILE")
  ) {
    problems.push(
      `${stack.info.file}: the stack's secrets are encrypted with a passphrase: set PULUMI_CONFIG_PASSPHRASE_FILE ` +
        "(a file holding the passphrase) or PULUMI_CONFIG_PASSPHRASE.",
    );
  }
  // `pulumi login` keeps the token in credentials.json (read with the backend: Backend.loggedIn).
  if (backend.service && !set(env, "PULUMI_ACCESS_TOKEN") && !backend.loggedIn) {
    problems.push(
      `Pulumi Cloud (${backend.shown}): not logged in. Set PULUMI_ACCESS_TOKEN or run \`pulumi login\`.`,
    );
  }
  return problems;
}

export function credentialProblems(
  stack: DeployStackFile,
  backend: Backend,
  ctx: CredentialEnvironment,
): string[] {
  return [
    ...awsCredentialProblems(ctx),
    ...secretConfigProblems(stack),
    ...backendCredentialProblems(stack, backend, ctx),
  ];
}
