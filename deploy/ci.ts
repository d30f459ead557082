/**
 * What the CI files need to know about the stacks, read from stacks/ at run time (so a new stack
 * file is picked up without editing any pipeline):
 *
 *   node -r ts-node/register/transpile-only deploy/ci.ts matrix [--stacks DIR] [--scopes DIR]
 *     GitHub Actions outputs (append to $GITHUB_OUTPUT): the JSON lists `stacks` (every stack),
 *     `nonproduction` and `production` (the stacks to preview or deploy: without --scopes all of
 *     them; with --scopes, those whose `npm run plan -- --scope` answer in DIR/scope-<stack>.json is
 *     not "none"; a missing answer counts as "all").
 *
 *   node -r ts-node/register/transpile-only deploy/ci.ts list [--nonproduction|--production]
 *     One stack name per line (Drone's loops).
 *
 *   node -r ts-node/register/transpile-only deploy/ci.ts stack-env --stack <stack> [--role deploy|preview]
 *     `key=value` lines: account-id, region, production, deploy-role-arn, and role-arn: the stack's
 *     mlplatform:deployRoleArn, or with --role preview its read-only role from the JSON map in
 *     PULUMI_PREVIEW_ROLE_ARNS (a repository variable: {"dev": "arn:aws:iam::...:role/..."}).
 *
 * Every stack file is validated as the deploy commands validate it (settings, plain credentials,
 * provider settings, pulumi:disable-default-providers), so CI fails on a bad stack file before it
 * assumes any role. Exit 0, or 1 with the problems on stderr, 2 on a usage error. The command
 * line is cli/ci.ts (`--help` lists it); this path stays runnable for the CI files that name it.
 */
import * as fs from "fs";
import * as path from "path";
import { SettingsError } from "../catalog/settings";
import { readStacks, StackInfo } from "../catalog/stacks";
import { DeployError } from "./errors";
import { deployConfigProblems } from "../catalog/stack-config";

export interface CiStack {
  stack: string;
  production: boolean;
  info: StackInfo;
}

/** Every stack of the folder, validated; throws DeployError listing every problem. */
export function ciStacks(stacksDir: string): CiStack[] {
  let infos: StackInfo[];
  try {
    infos = readStacks(stacksDir);
  } catch (e) {
    if (e instanceof SettingsError) throw new DeployError(e.problems);
    throw e;
  }
  const problems = infos.flatMap((i) => deployConfigProblems(i.config, i.file));
  if (problems.length > 0) throw new DeployError(problems);
  return infos.map((info) => ({
    stack: info.stack,
    production: info.settings.production === true,
    info,
  }));
}

/** Whether the offline plan says the stack changes (scope-<stack>.json; absent = yes). */
export function touched(stack: string, scopesDir: string | undefined): boolean {
  if (!scopesDir) return true;
  const file = path.join(scopesDir, `scope-${stack}.json`);
  if (!fs.existsSync(file)) return true;
  const scope = JSON.parse(fs.readFileSync(file, "utf8")) as { preview?: string };
  return scope.preview !== "none";
}

export function matrixOutputs(stacksDir: string, scopesDir?: string): string[] {
  const stacks = ciStacks(stacksDir);
  const pick = (production: boolean) =>
    JSON.stringify(
      stacks
        .filter((s) => s.production === production && touched(s.stack, scopesDir))
        .map((s) => s.stack),
    );
  return [
    `stacks=${JSON.stringify(stacks.map((s) => s.stack))}`,
    `nonproduction=${pick(false)}`,
    `production=${pick(true)}`,
  ];
}

export function stackEnv(
  stacksDir: string,
  stack: string,
  role: "deploy" | "preview",
  env: Record<string, string | undefined>,
): string[] {
  const found = ciStacks(stacksDir).find((s) => s.stack === stack);
  if (!found) throw new DeployError([`no stack file for stack "${stack}" in ${stacksDir}`]);
  const { settings } = found.info;
  let roleArn = settings.deployRoleArn;
  if (role === "preview") {
    let roles: Record<string, unknown> = {};
    try {
      roles = JSON.parse(env.PULUMI_PREVIEW_ROLE_ARNS || "{}") as Record<string, unknown>;
    } catch {
      throw new DeployError([
        "PULUMI_PREVIEW_ROLE_ARNS is not JSON: set the repository variable to an object such as " +
          '{"dev": "arn:aws:iam::111111111111:role/mlplatform-preview-dev"} (docs/deploy.md).',
      ]);
    }
    const arn = roles[stack];
    if (typeof arn !== "string" || !arn.startsWith(`arn:aws:iam::${settings.awsAccountId}:role/`)) {
      throw new DeployError([
        `no read-only preview role for stack "${stack}": add "${stack}": "arn:aws:iam::${settings.awsAccountId}:role/<preview role>" ` +
          "to the repository variable PULUMI_PREVIEW_ROLE_ARNS (Settings > Secrets and variables > Actions > Variables; docs/deploy.md).",
      ]);
    }
    roleArn = arn;
  }
  return [
    `account-id=${settings.awsAccountId}`,
    `region=${settings.awsRegion}`,
    `production=${settings.production === true}`,
    `deploy-role-arn=${settings.deployRoleArn}`,
    `role-arn=${roleArn}`,
  ];
}

if (require.main === module) {
  // The command line lives in cli/; loaded only when this file is run as a script.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("../cli/ci") as typeof import("../cli/ci")).runMain();
}
