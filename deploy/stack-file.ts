/** Finds a stack's file in stacks/ and reads what the deploy checks need from it. */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { readStackFile, StackInfo, displayPath } from "../catalog/stacks";
import { DeployError } from "./errors";
import { deployConfigProblems } from "../catalog/stack-config";

export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export interface DeployStackFile {
  info: StackInfo;
  /** passphrase (encryptionsalt), a cloud KMS URL (secretsprovider), or unset (not initialised). */
  secretsProvider: "passphrase" | "unset" | string;
}

export function stackFileNames(stacksDir: string): string[] {
  try {
    return fs
      .readdirSync(stacksDir)
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .sort();
  } catch {
    return [];
  }
}

export function newStackHint(stack: string): string {
  return (
    `create it with: npm run new-stack -- --name ${stack} --from dev --environment <env> ` +
    '--secrets-provider awskms://alias/<key> (see docs/deploy.md, "A new environment stack")'
  );
}

/** How to create the backend's stack for a committed stack file (its first deployment). */
export function initExistingHint(stack: string, secretsProvider: string): string {
  const provider =
    secretsProvider === "unset" ? "awskms://alias/<key>?region=<region>" : secretsProvider;
  return `npm run new-stack -- --name ${stack} --existing --secrets-provider '${provider}'`;
}

export function loadStackForDeploy(stacksDir: string, stack: string): DeployStackFile {
  const file = path.join(stacksDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    const known = stackFileNames(stacksDir);
    throw new DeployError([
      `stack "${stack}" does not exist: there is no ${displayPath(file)} (stacks: ${known.join(", ") || "none"}).`,
      `To deploy a new environment, ${newStackHint(stack)}`,
    ]);
  }
  const info = readStackFile(file);
  // Provider settings that would be ignored, and the default-provider guard every stack sets.
  const problems = deployConfigProblems(info.config, info.file);
  if (problems.length > 0) {
    throw new DeployError([
      `stack file ${info.file} cannot be deployed (${problems.length} problem${problems.length === 1 ? "" : "s"}):`,
      ...problems.map((p) => `  - ${p}`),
    ]);
  }
  const top = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
  const provider =
    typeof top.secretsprovider === "string" && top.secretsprovider !== "passphrase"
      ? top.secretsprovider
      : typeof top.encryptionsalt === "string" || top.secretsprovider === "passphrase"
        ? "passphrase"
        : "unset";
  return { info, secretsProvider: provider };
}
