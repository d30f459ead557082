/**
 * Stack settings: every key a stack file (stacks/Pulumi.<stack>.yaml) may set under the
 * `mlplatform:` namespace, documented once here. The README's stack reference mirrors this table
 * (a test keeps them in step).
 */

export type SettingType = "string" | "integer" | "boolean" | "string-list" | "string-map";

export interface SettingSpec {
  key: string;
  type: SettingType;
  description: string;
  /** Default when the stack file does not set the key; undefined = required. */
  default?: string | number | boolean | string[] | Record<string, string>;
  /** Secret keys are read with config.requireSecret and must never appear in a stack file in plain text. */
  secret?: boolean;
  /** Allowed values (strings) or a pattern the value must match. */
  allowed?: readonly string[];
  pattern?: RegExp;
  min?: number;
  max?: number;
}

export const SETTINGS: readonly SettingSpec[] = [
  {
    key: "environment",
    type: "string",
    description:
      "Environment this stack deploys (services list it in `environments`). Several stacks may share one environment when it is sharded.",
    pattern: /^[a-z][a-z0-9]{0,7}$/,
  },
  {
    key: "awsAccountId",
    type: "string",
    description:
      "AWS account of this stack (12 digits). A deployment with credentials of another account is refused; the other environments' stacks use it to grant image promotion across accounts.",
    pattern: /^\d{12}$/,
  },
  {
    key: "production",
    type: "boolean",
    description:
      "A production environment: images arrive only by a reviewed pin in the catalog (copied by digest from the service's first environment), and no Drone secret, repository or image build lives here. A service's first environment must not be a production one.",
    default: false,
  },
  {
    key: "deployRoleArn",
    type: "string",
    description:
      "IAM role that runs `pulumi up` for this stack: the only principal that may push the platform base image, and the one that assumes the image-promotion role.",
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/,
  },
  {
    key: "awsRegion",
    type: "string",
    description: "AWS region of every AWS resource.",
    pattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
  },
  {
    key: "namePrefix",
    type: "string",
    description:
      "Prefix of every physical name (buckets, ECR, IAM, jobs); keeps S3's global names unique to the company.",
    pattern: /^[a-z][a-z0-9]{1,9}$/,
  },
  {
    key: "accountTags",
    type: "string-map",
    description: "Extra tags put on every taggable resource (cost centre, account owner).",
    default: {},
  },
  {
    key: "githubOrganization",
    type: "string",
    description: "GitHub organisation that owns the service repositories.",
    pattern: /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/,
  },
  {
    key: "githubPlan",
    type: "string",
    description:
      "The organisation's GitHub plan: rulesets on private repositories need team or enterprise (free: the default branch is left unprotected, with a warning), internal visibility needs enterprise; secret scanning also needs githubSecretProtection.",
    allowed: ["free", "team", "enterprise"],
    default: "enterprise",
  },
  {
    key: "githubSecretProtection",
    type: "boolean",
    description:
      "The organisation has GitHub Secret Protection (or GitHub Advanced Security with split licensing): secret scanning and push protection are enabled on the service repositories only then (plans team and enterprise); the plan alone does not include them.",
    default: false,
  },
  {
    key: "githubDefaultBranch",
    type: "string",
    description:
      "The organisation's default branch for new repositories (Settings > Repository defaults): the service repositories' files are rendered for it, and the first commit is refused when GitHub made another.",
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    default: "main",
  },
  {
    key: "githubApiUrl",
    type: "string",
    description:
      "Base URL of GitHub's REST API: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server.",
    pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~/-]*)?$/,
    default: "https://api.github.com",
  },
  {
    key: "droneServer",
    type: "string",
    description: "Base URL of the Drone server (https).",
    pattern: /^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~/-]*)?$/,
  },
  {
    key: "droneRunnerRoleArn",
    type: "string",
    description:
      "IAM role the Drone runners run as; the only principal allowed to assume a service's CI role.",
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/,
  },
  {
    key: "databricksHost",
    type: "string",
    description: "Databricks workspace URL (https).",
    pattern: /^https:\/\/[A-Za-z0-9.-]+(\/)?$/,
  },
  {
    key: "databricksClientId",
    type: "string",
    description:
      "Application id of the platform's Databricks service principal (OAuth machine-to-machine); its secret is databricksClientSecret.",
    pattern: /^[A-Za-z0-9-]{1,64}$/,
  },
  {
    key: "databricksCrossAccountRoleArn",
    type: "string",
    description:
      "The workspace's cross-account IAM role (the one Databricks assumes to launch clusters). The owning stack grants it iam:PassRole on this environment's cluster roles, which registering their instance profiles requires.",
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_/-]{1,512}$/,
  },
  {
    key: "servicePrincipalSecretDays",
    type: "integer",
    description:
      "Lifetime in days of each service principal's OAuth secret. A `pulumi up` after half of it replaces the secret (the Databricks secret scope and the Drone secrets follow in the same up), so run the deployment at least that often.",
    min: 14,
    max: 730,
    default: 90,
  },
  {
    key: "modelCatalog",
    type: "string",
    description:
      "Unity Catalog catalog that holds this environment's registered models (`<catalog>.<schema>.<model>`); it must exist, owned by the platform's principal or with MANAGE granted to it.",
    pattern: /^[a-z][a-z0-9_]{0,62}$/,
  },
  {
    key: "modelSchema",
    type: "string",
    description:
      "Unity Catalog schema, inside modelCatalog, that holds this environment's registered models; it must exist, like the catalog.",
    pattern: /^[a-z][a-z0-9_]{0,62}$/,
  },
  {
    key: "legacyWorkspaceModels",
    type: "boolean",
    description:
      "Only for a stack deployed before models moved to Unity Catalog: keeps declaring the old workspace-registry models, unprotected and retained, so that one `up` lifts their protection; set it back to false and the next `up` drops them from the state and leaves them (and their versions) in the workspace. See docs/models.md.",
    default: false,
  },
  {
    key: "defaultNodeType",
    type: "string",
    description: "Databricks node type for jobs whose entry sets none.",
    pattern: /^[a-z0-9][a-zA-Z0-9._-]*$/,
    default: "i3.xlarge",
  },
  {
    key: "sparkVersion",
    type: "string",
    description: "Databricks runtime of job clusters (must support Databricks Container Services).",
    pattern: /^[0-9]+\.[0-9x]+\.x-[a-z0-9-]+-scala[0-9.]+$/,
    default: "15.4.x-scala2.12",
  },
  {
    key: "artifactRetentionDays",
    type: "integer",
    description: "Days noncurrent artifact versions are kept, for entries that set none.",
    min: 1,
    max: 3650,
    default: 90,
  },
  {
    key: "orchestrator",
    type: "string",
    description:
      "Who triggers scheduled runs: Databricks job schedules, or Airflow DAGs the stack uploads to airflowDagBucket (one file per service).",
    allowed: ["databricks", "airflow"],
    default: "databricks",
  },
  {
    key: "airflowDagBucket",
    type: "string",
    description:
      "S3 bucket of this environment's Airflow DAG folder (MWAA's source bucket): each active service's DAG file is uploaded to it. Required when orchestrator is airflow; ignored otherwise (empty: none).",
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    default: "",
  },
  {
    key: "airflowDagPrefix",
    type: "string",
    description:
      "Key prefix of the DAG folder inside airflowDagBucket (MWAA's DAG path, with its trailing slash; empty: the bucket's root). DAG files are written to `<prefix><package>_<environment>.py`.",
    pattern: /^([A-Za-z0-9!_.*'()-]+\/)*$/,
    default: "dags/",
  },
  {
    key: "airflowConnectionId",
    type: "string",
    description:
      "Airflow connection the DAGs use to reach this environment's Databricks workspace (`databricks_conn_id`).",
    pattern: /^[A-Za-z0-9_.-]{1,250}$/,
    default: "databricks_default",
  },
  {
    key: "airflowPrincipal",
    type: "string",
    description:
      "Application id of the Databricks service principal the Airflow connection authenticates as, when it is not the platform's own principal (databricksClientId, which creates the jobs and owns them): it gets CAN_MANAGE_RUN on every job the DAGs start. Empty: the platform's principal.",
    pattern: /^[A-Za-z0-9-]{1,64}$/,
    default: "",
  },
  {
    key: "trainingKeyword",
    type: "string",
    description: "Commit-message keyword that makes the service pipeline build, push and train.",
    pattern: /^\[[a-z][a-z0-9-]{0,30}\]$/,
    default: "[train]",
  },
  {
    key: "buildBaseImage",
    type: "boolean",
    description:
      "Build and push the shared training base image with Docker (turn off where no Docker engine runs).",
    default: true,
  },
  {
    key: "protectData",
    type: "boolean",
    description:
      "Mark data-bearing resources `protect` (in addition to retainOnDelete, which is always on). Turn on for production.",
    default: false,
  },
  {
    key: "shardTeams",
    type: "string-list",
    description:
      "Shard by team: this stack deploys only services of these teams (empty = no team filter).",
    default: [],
  },
  {
    key: "shardServices",
    type: "string-list",
    description: "Shard by list: this stack deploys only these services (empty = no list filter).",
    default: [],
  },
  {
    key: "ownsPlatformResources",
    type: "boolean",
    description:
      "This stack declares the environment's shared pieces (the base-image ECR repository and build). Exactly one stack per environment and region does: set it false on all shards but one.",
    default: true,
  },
  {
    key: "githubToken",
    type: "string",
    secret: true,
    description:
      "GitHub token (fine-grained or GitHub App installation) on the organisation's repositories: Administration, Contents and Pull requests read and write.",
  },
  {
    key: "databricksClientSecret",
    type: "string",
    secret: true,
    description: "OAuth secret of the platform's Databricks service principal.",
  },
  {
    key: "droneToken",
    type: "string",
    secret: true,
    description:
      "Drone token of the platform's bot account (a GitHub user logged into Drone, Drone admin, admin on the service repositories); see docs/drone.md.",
  },
];

export interface StackSettings {
  stack: string;
  environment: string;
  awsAccountId: string;
  production: boolean;
  deployRoleArn: string;
  awsRegion: string;
  namePrefix: string;
  accountTags: Record<string, string>;
  githubOrganization: string;
  githubPlan: "free" | "team" | "enterprise";
  githubSecretProtection: boolean;
  githubDefaultBranch: string;
  githubApiUrl: string;
  droneServer: string;
  droneRunnerRoleArn: string;
  databricksHost: string;
  databricksClientId: string;
  databricksCrossAccountRoleArn: string;
  servicePrincipalSecretDays: number;
  modelCatalog: string;
  modelSchema: string;
  legacyWorkspaceModels: boolean;
  defaultNodeType: string;
  sparkVersion: string;
  artifactRetentionDays: number;
  orchestrator: "databricks" | "airflow";
  /** "" when the stack sets none (only allowed with orchestrator databricks). */
  airflowDagBucket: string;
  airflowDagPrefix: string;
  airflowConnectionId: string;
  airflowPrincipal: string;
  trainingKeyword: string;
  buildBaseImage: boolean;
  protectData: boolean;
  shardTeams: string[];
  shardServices: string[];
  ownsPlatformResources: boolean;
}

export const CONFIG_NAMESPACE = "mlplatform";

/** Thrown for a stack file a platform engineer must fix; the message names file and key. */
export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "SettingsError";
  }
}

function describeAllowed(spec: SettingSpec): string {
  if (spec.allowed) return `one of ${spec.allowed.join(", ")}`;
  if (spec.type === "integer") return `an integer from ${spec.min} to ${spec.max}`;
  if (spec.type === "boolean") return "true or false";
  if (spec.type === "string-list") return "a list of strings";
  if (spec.type === "string-map") return "a map of string keys to string values";
  return spec.pattern ? `matching ${spec.pattern.source}` : "a string";
}

/**
 * Parses the plain (non-secret) settings of one stack from its config values (the
 * `mlplatform:`-namespaced keys, namespace stripped). Pure: used by the Pulumi program, the
 * offline plan and the validator alike. Every problem is reported at once.
 */
export function parseSettings(
  stack: string,
  values: Record<string, unknown>,
  source: string,
): StackSettings {
  const problems: string[] = [];
  const out: Record<string, unknown> = { stack };
  const known = new Set(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(values).sort()) {
    if (!known.has(key)) {
      problems.push(
        `${source}: ${CONFIG_NAMESPACE}:${key}: unknown setting (known: ${[...known].join(", ")})`,
      );
    }
  }
  for (const spec of SETTINGS) {
    const where = `${source}: ${CONFIG_NAMESPACE}:${spec.key}`;
    const raw = values[spec.key];
    if (spec.secret) {
      if (raw !== undefined && !isSecureValue(raw)) {
        problems.push(
          `${where}: is a secret and must not be stored in plain text (set it with: pulumi config set --secret ${CONFIG_NAMESPACE}:${spec.key})`,
        );
      }
      continue;
    }
    if (raw === undefined || raw === null) {
      if (spec.default === undefined) {
        problems.push(`${where}: missing (${spec.description} Expected ${describeAllowed(spec)})`);
      } else {
        out[spec.key] = structuredClone(spec.default);
      }
      continue;
    }
    const value = coerce(spec, raw);
    if (value === undefined) {
      problems.push(`${where}: invalid value (expected ${describeAllowed(spec)})`);
      continue;
    }
    out[spec.key] = value;
  }
  // Cross-field rule: an Airflow stack must say where its DAG files go.
  if (out.orchestrator === "airflow" && out.airflowDagBucket === "") {
    problems.push(
      `${source}: ${CONFIG_NAMESPACE}:airflowDagBucket: missing, and required because ${CONFIG_NAMESPACE}:orchestrator is airflow (the S3 bucket of the environment's Airflow DAG folder, where each service's DAG file is uploaded; or set ${CONFIG_NAMESPACE}:orchestrator to databricks)`,
    );
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return out as unknown as StackSettings;
}

function isSecureValue(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && "secure" in raw;
}

function coerce(spec: SettingSpec, raw: unknown): unknown {
  // Pulumi hands every config value over as a string; structured values arrive as JSON text.
  let value = raw;
  if (typeof raw === "string" && spec.type !== "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  switch (spec.type) {
    case "string":
      if (typeof value !== "string") return undefined;
      if (spec.allowed && !spec.allowed.includes(value)) return undefined;
      if (spec.pattern && !spec.pattern.test(value)) return undefined;
      return value;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return undefined;
      if (value < (spec.min ?? -Infinity) || value > (spec.max ?? Infinity)) return undefined;
      return value;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "string-list":
      return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
    case "string-map":
      return typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === "string")
        ? value
        : undefined;
  }
}

/** Names of the secret settings (tokens); the offline plan supplies masked placeholders for them. */
export const SECRET_SETTING_KEYS = SETTINGS.filter((s) => s.secret).map((s) => s.key);
