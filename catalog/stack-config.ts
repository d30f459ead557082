/**
 * Checks of a stack file's config outside the mlplatform namespace:
 *
 * - plain-text credentials of a provider namespace (`aws:secretKey`, `github:token`, ...) are
 *   refused by every reader of stack files (`npm run validate`, the plan, the deploy commands):
 *   the file is committed, so the value is already in git history;
 * - the program creates every provider explicitly from mlplatform settings, and each stack sets
 *   `pulumi:disable-default-providers: ["*"]`, so provider-namespace settings (`aws:region`,
 *   `aws:profile`, ...) would be ignored: the deploy commands and CI refuse them, naming the
 *   project setting to use instead.
 */
import * as fs from "fs";
import { CONFIG_NAMESPACE } from "./settings";

/**
 * The provider packages of the program (package.json dependencies; tests/deploy checks the list).
 * Each one's config namespace is its package name.
 */
export const PROVIDER_PACKAGES = [
  "aws",
  "command",
  "databricks",
  "docker",
  "docker-build",
  "github",
] as const;

/**
 * Provider settings that are credentials, whatever the installed SDK says (the floor of the
 * check): a stack file must never hold them in plain text.
 */
const KNOWN_CREDENTIAL_KEYS = [
  "aws:accessKey",
  "aws:secretKey",
  "aws:token",
  "github:token",
  "databricks:clientSecret",
  "databricks:token",
  "databricks:password",
];

/**
 * The settings the provider's schema marks secret. Every Pulumi provider SDK's provider.js passes
 * them as `additionalSecretOutputs` of the provider resource (generated from the schema's
 * `"secret": true` config variables), so the installed SDK is the version-pinned source:
 * e.g. @pulumi/aws: accessKey, secretKey, token; @pulumi/databricks: azureClientSecret,
 * clientSecret, googleCredentials, metadataServiceUrl, password, token.
 */
export function schemaSecretKeys(pkg: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(require.resolve(`@pulumi/${pkg}/provider.js`), "utf8");
  } catch {
    return [];
  }
  const list = /additionalSecretOutputs:\s*\[([^\]]*)\]/.exec(text)?.[1] ?? "";
  return [...list.matchAll(/"([A-Za-z0-9_]+)"/g)].map((m) => `${pkg}:${m[1]}`);
}

let credentialKeys: Set<string> | undefined;

/** Every provider setting that is a credential (schema secrets plus the known list). */
export function credentialKeySet(): ReadonlySet<string> {
  if (!credentialKeys) {
    credentialKeys = new Set([
      ...KNOWN_CREDENTIAL_KEYS,
      ...PROVIDER_PACKAGES.flatMap((p) => schemaSecretKeys(p)),
    ]);
  }
  return credentialKeys;
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && "secure" in value;
}

/** Where a credential of each namespace belongs instead. */
function credentialAdvice(key: string): string {
  if (key.startsWith("aws:")) {
    return "AWS credentials never go in a stack file: deploy as the stack's mlplatform:deployRoleArn (AWS_PROFILE locally, OIDC in GitHub Actions; docs/deploy.md)";
  }
  if (key === "github:token") {
    return `set ${CONFIG_NAMESPACE}:githubToken instead: pulumi config set --secret ${CONFIG_NAMESPACE}:githubToken --stack <stack>`;
  }
  if (key === "databricks:clientSecret") {
    return `set ${CONFIG_NAMESPACE}:databricksClientSecret instead: pulumi config set --secret ${CONFIG_NAMESPACE}:databricksClientSecret --stack <stack>`;
  }
  if (key.startsWith("databricks:")) {
    return `the platform signs in to Databricks as a service principal (${CONFIG_NAMESPACE}:databricksClientId and the secret ${CONFIG_NAMESPACE}:databricksClientSecret), not with ${key}`;
  }
  return "provider settings are not read (default providers are disabled); remove it";
}

/**
 * `npm run validate` and every reader of stack files: provider credentials in plain text.
 * (A `secure:` value is encrypted; it is still refused by providerSettingProblems at deploy time.)
 */
export function plainCredentialProblems(config: Record<string, unknown>, file: string): string[] {
  const keys = credentialKeySet();
  return Object.entries(config)
    .filter(([key, value]) => keys.has(key) && !isSecure(value))
    .map(
      ([key]) =>
        `${file}: ${key} is a credential in plain text; remove it and rotate it (the file is committed, so the value is in git history). ${credentialAdvice(key)}.`,
    );
}

/** The project setting that replaces a provider setting users reach for. */
const PROJECT_SETTING_FOR: Record<string, string> = {
  "aws:region": `${CONFIG_NAMESPACE}:awsRegion`,
  "aws:allowedAccountIds": `${CONFIG_NAMESPACE}:awsAccountId`,
  "aws:defaultTags": `${CONFIG_NAMESPACE}:accountTags`,
  "aws:assumeRole": `${CONFIG_NAMESPACE}:deployRoleArn (assume it before running: an AWS_PROFILE with role_arn)`,
  "aws:assumeRoles": `${CONFIG_NAMESPACE}:deployRoleArn (assume it before running: an AWS_PROFILE with role_arn)`,
  "aws:profile":
    "the AWS_PROFILE environment variable (a profile that assumes the stack's mlplatform:deployRoleArn)",
  "aws:sharedCredentialsFiles": "the AWS_SHARED_CREDENTIALS_FILE environment variable",
  "github:owner": `${CONFIG_NAMESPACE}:githubOrganization`,
  "github:baseUrl": `${CONFIG_NAMESPACE}:githubApiUrl`,
  "github:token": `${CONFIG_NAMESPACE}:githubToken (secret)`,
  "databricks:host": `${CONFIG_NAMESPACE}:databricksHost`,
  "databricks:clientId": `${CONFIG_NAMESPACE}:databricksClientId`,
  "databricks:clientSecret": `${CONFIG_NAMESPACE}:databricksClientSecret (secret)`,
};

/**
 * Settings in a provider namespace: with default providers disabled and every provider created
 * from mlplatform settings (program/program.ts), Pulumi would silently ignore them.
 */
export function providerSettingProblems(config: Record<string, unknown>, file: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    const namespace = key.split(":")[0];
    if (!(PROVIDER_PACKAGES as readonly string[]).includes(namespace)) continue;
    const instead = PROJECT_SETTING_FOR[key];
    problems.push(
      `${file}: ${key} is not used: the program creates its ${namespace} provider from the project's settings and default providers are disabled. ` +
        (instead
          ? `Use ${instead} instead.`
          : "Remove it (catalog/settings.ts lists the settings)."),
    );
  }
  return problems;
}

export const DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers";

/**
 * `pulumi:disable-default-providers: ["*"]`: a resource or invoke without an explicit provider fails
 * instead of using an ambient default provider (the engine's check: pulumi/pulumi
 * pkg/resource/deploy/source_eval.go, defaultProviders.shouldDenyRequest; `*` denies every package
 * but `pulumi` itself).
 */
export function defaultProvidersProblems(config: Record<string, unknown>, file: string): string[] {
  const value = config[DISABLE_DEFAULT_PROVIDERS_KEY];
  if (Array.isArray(value) && value.some((v) => typeof v === "string" && v.trim() === "*")) {
    return [];
  }
  return [
    `${file}: config ${DISABLE_DEFAULT_PROVIDERS_KEY} must be ["*"], so that a resource without an explicit provider fails instead of deploying with ambient credentials or region. Add under config:\n` +
      `  ${DISABLE_DEFAULT_PROVIDERS_KEY}:\n    - "*"`,
  ];
}

/** Everything the deploy commands and CI refuse in a stack file's non-mlplatform config. */
export function deployConfigProblems(config: Record<string, unknown>, file: string): string[] {
  const plain = plainCredentialProblems(config, file);
  // A plain credential is reported once, as a credential.
  const reported = new Set(
    Object.keys(config).filter((k) => credentialKeySet().has(k) && !isSecure(config[k])),
  );
  const rest = Object.fromEntries(Object.entries(config).filter(([k]) => !reported.has(k)));
  return [
    ...plain,
    ...providerSettingProblems(rest, file),
    ...defaultProvidersProblems(config, file),
  ];
}
