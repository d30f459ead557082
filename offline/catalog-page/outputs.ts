/**
 * A stack's real identifiers, read from `pulumi stack output --json --show-secrets=false`: the
 * top-level outputs of index.ts (program/program.ts ProgramOutputs: environment, accountId, services,
 * ...), with every secret value printed as the string "[secret]" (pulumi/pulumi
 * pkg/backend/display/json.go massagePropertyValue, used by pkg/cmd/pulumi/stack/stack_output.go).
 * Every value the page turns into a link is checked here, so a wrong or foreign file is refused
 * with its name and the field instead of producing links that lead nowhere.
 */
import * as fs from "fs";
import { CatalogPageError } from "./errors";

/** What `pulumi stack output --show-secrets=false` prints in place of a secret value. */
export const SECRET_PLACEHOLDER = "[secret]";

/** Larger files are refused before they are parsed (a stack's outputs are a few KB per service). */
export const MAX_OUTPUTS_BYTES = 16 * 1024 * 1024;

/** One service's identifiers in one stack, as deployed (each absent when the file lacks it). */
export interface DeployedService {
  repositoryUrl?: string;
  ecrRepositoryUrl?: string;
  artifactsBucket?: string;
  predictionsBucket?: string;
  trainingJobId?: string;
  batchPredictionJobId?: string;
  experimentId?: string;
  registeredModel?: string;
  /** Version the model's `champion` alias points at (an output the program may export). */
  championVersion?: string;
}

export interface StackOutputs {
  stack: string;
  /** The file as given. */
  file: string;
  environment: string;
  /** The AWS account the stack deployed to (checked against the stack file). */
  accountId?: string;
  /** The Databricks workspace URL, when the program exports it. */
  databricksHost?: string;
  services: Record<string, DeployedService>;
}

/** What the outputs are checked against: a stack file's identity. */
export interface KnownStack {
  stack: string;
  environment: string;
  awsAccountId: string;
}

type Check = { test: (value: string) => boolean; allowed: string };

// ECR registry host <account>.dkr.ecr.<region>.amazonaws.com (Amazon ECR User Guide, "Private
// registry concepts": https://docs.aws.amazon.com/AmazonECR/latest/userguide/Registries.html).
export const ECR_REPOSITORY_URL =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*)$/;

const DIGITS: Check = { test: (v) => /^\d{1,19}$/.test(v), allowed: "digits" };
const SERVICE_FIELDS: Record<keyof DeployedService, Check> = {
  repositoryUrl: {
    test: (v) => /^https:\/\/[a-z0-9.-]+(?::\d+)?\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(v),
    allowed: "https://HOST/OWNER/REPOSITORY",
  },
  ecrRepositoryUrl: {
    test: (v) => ECR_REPOSITORY_URL.test(v),
    allowed: "ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY",
  },
  // S3 bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens.
  artifactsBucket: {
    test: (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    allowed: "an S3 bucket name",
  },
  predictionsBucket: {
    test: (v) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    allowed: "an S3 bucket name",
  },
  trainingJobId: DIGITS,
  batchPredictionJobId: DIGITS,
  experimentId: DIGITS,
  registeredModel: {
    test: (v) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(v),
    allowed: "CATALOG.SCHEMA.MODEL",
  },
  championVersion: { test: (v) => /^[1-9]\d{0,9}$/.test(v), allowed: "a model version number" },
};

/** Splits `--outputs` values: `stack=file` names the stack, a bare file is matched by its environment. */
export function splitOutputsArgument(argument: string): { stack?: string; file: string } {
  const named = /^([A-Za-z0-9_.-]+)=(.+)$/.exec(argument);
  return named ? { stack: named[1], file: named[2] } : { file: argument };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A present, non-secret string value of a field, or undefined; anything else is refused. */
function stringField(
  record: Record<string, unknown>,
  key: string,
  where: string,
  fail: (detail: string) => never,
): string | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === SECRET_PLACEHOLDER) return undefined;
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return String(value);
  if (typeof value !== "string") fail(`${where}: ${describe(value)} is not a string`);
  return value;
}

/**
 * Checks one outputs document against the stacks; `stack` is the stack the caller named (or
 * undefined: the one stack whose environment the outputs name).
 */
export function parseStackOutputs(
  text: string,
  file: string,
  argument: string,
  stack: string | undefined,
  stacks: readonly KnownStack[],
): StackOutputs {
  const fail = (detail: string): never => {
    throw new CatalogPageError("outputs", argument, `${file}: ${detail}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    fail(`not JSON (${(e as Error).message}); give the output of \`pulumi stack output --json\``);
  }
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    fail("not a JSON object; give the output of `pulumi stack output --json`");
  }
  const top = document as Record<string, unknown>;
  const environment = stringField(top, "environment", "environment", fail);
  if (environment === undefined) {
    fail(
      'no "environment" output: not the outputs of a stack of this project (index.ts exports environment, accountId and services)',
    );
  }
  const names = stacks.map((s) => s.stack).join(", ");
  let known: KnownStack | undefined;
  if (stack !== undefined) {
    known = stacks.find((s) => s.stack === stack);
    if (!known) fail(`no stack "${stack}" in stacks/ (stacks: ${names})`);
  } else {
    const candidates = stacks.filter((s) => s.environment === environment);
    if (candidates.length !== 1) {
      fail(
        candidates.length === 0
          ? `environment "${environment}" is not the environment of any stack (stacks: ${stacks.map((s) => `${s.stack} (${s.environment})`).join(", ")})`
          : `environment "${environment}" is deployed by several stacks (${candidates.map((s) => s.stack).join(", ")}): name the stack, as --outputs STACK=${file}`,
      );
    }
    known = candidates[0];
  }
  const target = known as KnownStack;
  if (environment !== target.environment) {
    fail(
      `environment: "${environment}", but stack ${target.stack} deploys environment "${target.environment}": these are another stack's outputs`,
    );
  }
  const accountId = stringField(top, "accountId", "accountId", fail);
  if (accountId !== undefined && accountId !== target.awsAccountId) {
    fail(
      `accountId: "${accountId}", but stack ${target.stack} deploys AWS account ${target.awsAccountId} (mlplatform:awsAccountId): these are another stack's outputs`,
    );
  }
  const databricksHost = stringField(top, "databricksHost", "databricksHost", fail);
  if (databricksHost !== undefined && !/^https:\/\/[a-z0-9.-]+\/?$/.test(databricksHost)) {
    fail(`databricksHost: ${describe(databricksHost)} is not a workspace URL (https://HOST)`);
  }
  const rawServices = top.services;
  if (typeof rawServices !== "object" || rawServices === null || Array.isArray(rawServices)) {
    fail('no "services" object: not the outputs of a stack of this project');
  }
  const services: Record<string, DeployedService> = {};
  for (const [name, raw] of Object.entries(rawServices as Record<string, unknown>)) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      fail(`services.${name}: ${describe(raw)} is not an object`);
    }
    const record = raw as Record<string, unknown>;
    const service: DeployedService = {};
    for (const [key, check] of Object.entries(SERVICE_FIELDS) as [keyof DeployedService, Check][]) {
      const where = `services.${name}.${key}`;
      const value = stringField(record, key, where, fail);
      if (value === undefined) continue;
      if (!check.test(value)) fail(`${where}: ${describe(value)} is not ${check.allowed}`);
      service[key] = value;
    }
    const ecr = service.ecrRepositoryUrl && ECR_REPOSITORY_URL.exec(service.ecrRepositoryUrl);
    if (ecr && ecr[1] !== target.awsAccountId) {
      fail(
        `services.${name}.ecrRepositoryUrl: account ${ecr[1]}, but stack ${target.stack} deploys AWS account ${target.awsAccountId}`,
      );
    }
    services[name] = service;
  }
  return {
    stack: target.stack,
    file,
    environment: environment as string,
    ...(accountId !== undefined ? { accountId } : {}),
    ...(databricksHost !== undefined ? { databricksHost: databricksHost.replace(/\/$/, "") } : {}),
    services,
  };
}

/** Reads and checks one `--outputs` value (`file` or `stack=file`). */
export function readStackOutputs(argument: string, stacks: readonly KnownStack[]): StackOutputs {
  const { stack, file } = splitOutputsArgument(argument);
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_OUTPUTS_BYTES) {
      throw new CatalogPageError(
        "outputs",
        argument,
        `${file}: ${size} bytes, more than the ${MAX_OUTPUTS_BYTES} a stack's outputs take`,
      );
    }
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof CatalogPageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CatalogPageError(
      "outputs",
      argument,
      `${file}: ${code === "ENOENT" ? "no such file" : `cannot be read (${code ?? (e as Error).message})`}; write it with \`pulumi stack output --json --show-secrets=false --stack STACK > ${file}\``,
    );
  }
  return parseStackOutputs(text, file, argument, stack, stacks);
}
