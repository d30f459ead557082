/** Hand-built resources for the policy tests: one compliant service, and ways to break it. */
import { PlanDocument, PlanFinding, PlanResource } from "../../offline/plan/types";
import { evaluatePolicies } from "../../offline/policy/evaluate";
import { TYPES } from "../../policy/src/rules";

export const SERVICE = "svc";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:test::mlplatform::${type}::${name}`;
}

export function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  options: { protect?: boolean; retainOnDelete?: boolean; id?: string } = {},
): PlanResource & { id?: string } {
  return {
    urn: urnOf(type, name),
    type,
    name,
    custom: true,
    inputs,
    protect: options.protect ?? false,
    retainOnDelete: options.retainOnDelete ?? false,
    ...(options.id !== undefined ? { id: options.id } : {}),
  };
}

export const TAGS = {
  service: SERVICE,
  team: "search",
  environment: "dev",
  "managed-by": "mlplatform",
};
export const BUCKET_NAME = "mlp-svc-dev-artifacts";
export const REPO_NAME = "mlp/svc-dev";
export const JOB_ID = "424242";

export function policyJson(statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const TLS_ONLY = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: { AWS: "*" },
  Action: ["s3:*"],
  Resource: [`arn:aws:s3:::${BUCKET_NAME}`, `arn:aws:s3:::${BUCKET_NAME}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

/** Every resource kind the rules look at, each compliant. */
export function compliantService(): PlanResource[] {
  const data = { retainOnDelete: true };
  return [
    resource(
      TYPES.bucket,
      "svc-artifacts",
      { bucket: BUCKET_NAME, forceDestroy: false, tags: TAGS },
      data,
    ),
    resource(TYPES.publicAccessBlock, "svc-artifacts-public-access-block", {
      bucket: BUCKET_NAME,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    resource(TYPES.versioning, "svc-artifacts-versioning", {
      bucket: BUCKET_NAME,
      versioningConfiguration: { status: "Enabled" },
    }),
    resource(TYPES.encryption, "svc-artifacts-encryption", {
      bucket: BUCKET_NAME,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
    }),
    resource(TYPES.bucketPolicy, "svc-artifacts-tls-only", {
      bucket: BUCKET_NAME,
      policy: policyJson([TLS_ONLY]),
    }),
    resource(
      TYPES.ecrRepository,
      "svc-images",
      {
        name: REPO_NAME,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        tags: TAGS,
      },
      data,
    ),
    resource(TYPES.ecrLifecyclePolicy, "svc-images-lifecycle", {
      repository: REPO_NAME,
      policy: JSON.stringify({ rules: [{ rulePriority: 1, action: { type: "expire" } }] }),
    }),
    resource(TYPES.ecrRepositoryPolicy, "svc-images-policy", {
      repository: REPO_NAME,
      policy: policyJson([
        {
          Sid: "PullByClusterRole",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::000000000000:role/mlp-svc-dev-cluster" },
          Action: ["ecr:BatchGetImage"],
        },
      ]),
    }),
    resource(TYPES.iamRole, "svc-ci", {
      name: "mlp-svc-dev-ci",
      assumeRolePolicy: policyJson([
        {
          Sid: "DroneRunnerOnly",
          Effect: "Allow",
          Principal: { AWS: "arn:aws:iam::111111111111:role/drone-runner-dev" },
          Action: ["sts:AssumeRole"],
        },
      ]),
      tags: TAGS,
    }),
    resource(TYPES.iamRolePolicy, "svc-ci", {
      role: "mlp-svc-dev-ci",
      policy: policyJson([
        { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
        {
          Sid: "PushImages",
          Effect: "Allow",
          Action: ["ecr:PutImage"],
          Resource: "arn:aws:ecr:eu-west-1:000000000000:repository/mlp/svc-dev",
        },
      ]),
    }),
    resource(TYPES.iamInstanceProfile, "svc-cluster", {
      name: "mlp-svc-dev-cluster",
      role: "mlp-svc-dev-cluster",
      tags: TAGS,
    }),
    resource(
      TYPES.githubRepository,
      "svc-repo",
      { name: "svc", visibility: "private", archiveOnDestroy: true },
      data,
    ),
    resource(TYPES.githubVulnerabilityAlerts, "svc-repo-vulnerability-alerts", {
      repository: "svc",
      enabled: true,
    }),
    resource(TYPES.githubRuleset, "svc-repo-default-branch", {
      repository: "svc",
      target: "branch",
      enforcement: "active",
      conditions: { refName: { includes: ["~DEFAULT_BRANCH"], excludes: [] } },
      rules: {
        pullRequest: { requiredApprovingReviewCount: 1 },
        requiredStatusChecks: { requiredChecks: [{ context: "continuous-integration/drone/pr" }] },
      },
    }),
    resource(TYPES.githubActionsSecret, "svc-repo-token", {
      repository: "svc",
      secretName: "DEPLOY_TOKEN",
      plaintextValue: "[secret]",
    }),
    resource(TYPES.databricksSecret, "svc-client-secret", {
      scope: "mlp-svc-dev",
      key: "databricks-client-secret",
      stringValue: "[secret]",
    }),
    resource(TYPES.droneRepositorySecrets, "svc-ci-secrets", {
      __provider: "[dynamic provider code]",
      server: "https://drone.example.com",
      token: "[secret]",
      repository: "acme-ml/svc",
      exposure: {
        aws_ci_role_arn: { pullRequest: false, pullRequestPush: false },
        databricks_client_secret: { pullRequest: false, pullRequestPush: false },
      },
      values: "[secret]",
    }),
    resource(TYPES.droneSecret, "svc-org-secret", {
      __provider: "[dynamic provider code]",
      server: "https://drone.example.com",
      token: "[secret]",
      namespace: "acme-ml",
      name: "docker_password",
      value: "[secret]",
      pullRequest: false,
      pullRequestPush: false,
    }),
    resource("pulumi-nodejs:dynamic:Resource", "svc-drone-secret", {
      __provider: "[dynamic provider code]",
      repo: "acme-ml/svc",
      name: "databricks_client_secret",
      data: "[secret]",
    }),
    resource(
      TYPES.databricksJob,
      "svc-training",
      {
        name: "mlp-svc-dev-training",
        parameters: [{ name: "git_sha", default: "unknown" }],
        tasks: [
          {
            taskKey: "training",
            newCluster: {
              sparkEnvVars: {
                DATABRICKS_CLIENT_ID: "6a1f0c52",
                DATABRICKS_CLIENT_SECRET: "{{secrets/mlp-svc-dev/databricks-client-secret}}",
              },
            },
            sparkPythonTask: {
              pythonFile: "file:/app/src/svc/train.py",
              parameters: ["--git-sha", "{{job.parameters.git_sha}}"],
            },
          },
        ],
        tags: TAGS,
      },
      { id: JOB_ID },
    ),
    resource(TYPES.databricksPermissions, "svc-training", {
      jobId: JOB_ID,
      accessControls: [{ groupName: "search", permissionLevel: "CAN_MANAGE_RUN" }],
    }),
    resource(
      "databricks:index/mlflowExperiment:MlflowExperiment",
      "svc-experiment",
      { name: "/Shared/mlp/dev/svc" },
      data,
    ),
  ];
}

export function planOf(resources: PlanResource[], platform: PlanResource[] = []): PlanDocument {
  return {
    project: "mlplatform",
    stack: "test",
    environment: "dev",
    platform: { resources: platform },
    services: [
      {
        name: SERVICE,
        displayName: SERVICE,
        team: "search",
        owners: [],
        description: "",
        template: "",
        environments: ["dev"],
        decommissioned: false,
        file: "",
        digest: "",
        resources,
        outputs: {},
      },
    ],
    summary: { services: 1, resources: resources.length + platform.length },
    imports: [],
    retained: {},
    findings: [],
  };
}

/** Findings of every rule on the compliant service after `change` edited (a copy of) it. */
export function findingsAfter(change: (resources: PlanResource[]) => void): PlanFinding[] {
  const resources = compliantService();
  change(resources);
  return evaluatePolicies(planOf(resources));
}

export function find(resources: PlanResource[], type: string, name?: string): PlanResource {
  const found = resources.find((r) => r.type === type && (name === undefined || r.name === name));
  if (!found) throw new Error(`no ${type} ${name ?? ""} in the fixture`);
  return found;
}

export function remove(resources: PlanResource[], type: string): void {
  const index = resources.findIndex((r) => r.type === type);
  if (index < 0) throw new Error(`no ${type} in the fixture`);
  resources.splice(index, 1);
}

/** The finding a rule reports on a resource of the fixture service. */
export function finding(
  policy: string,
  severity: "mandatory" | "advisory",
  urn: string,
  message: string,
): PlanFinding {
  return { policy, severity, service: SERVICE, urn, message };
}
