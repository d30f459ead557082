/**
 * MlService (program/service.ts), the program's composition of one service, from a purpose-built
 * entry and stack settings: which pieces each environment gets, under which names and parent,
 * and what the program maps into their Args (Quartz schedules, the DAG, the pipeline secrets, the
 * image copy). Negatives: no CI identity, repository or Drone secret outside the first
 * environment; a decommissioned service keeps only its data-bearing pieces.
 */
import * as pulumi from "@pulumi/pulumi";
import { Declared, isSecret, one, recordDeclarations, reveal } from "./harness";

/** Databricks job ids are numbers. */
const JOB_IDS: Record<string, number> = { "fraud-jobs-training": 101 };
const mocks = recordDeclarations(
  (a) => {
    const out: Record<string, unknown> = { ...a.inputs, arn: `arn:mock:${a.name}` };
    if (a.type === "aws:iam/role:Role") out.arn = `arn:aws:iam::123456789012:role/${a.inputs.name}`;
    if (a.type === "aws:ecr/repository:Repository") out.repositoryUrl = `ecr.test/${a.inputs.name}`;
    if (a.type === "github:index/repository:Repository") {
      Object.assign(out, {
        defaultBranch: "main",
        htmlUrl: `https://github.test/${a.inputs.name}`,
      });
    }
    if (a.type === "databricks:index/servicePrincipal:ServicePrincipal")
      out.applicationId = "app-1";
    if (a.type === "databricks:index/servicePrincipalSecret:ServicePrincipalSecret")
      out.secret = "sp-secret";
    if (a.type === "pulumi-nodejs:dynamic/github:Commit") out.commitSha = "c".repeat(40);
    if (a.type === "command:local:Command") out.stdout = "copied";
    return out;
  },
  (a) => (a.type === "databricks:index/job:Job" ? String(JOB_IDS[a.name]) : `${a.name}-id`),
);

// Imported after setMocks, as the program is.
import { ResolvedService } from "../../catalog/types";
import { resolveService } from "../../catalog/resolve";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import { MlService, MlServiceArgs } from "../../program/service";
import { parseSettings, StackSettings } from "../../catalog/settings";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"ab".repeat(32)}`;

function settings(environment: string, values: Record<string, unknown>): StackSettings {
  return parseSettings(
    environment,
    {
      environment,
      awsAccountId: "123456789012",
      deployRoleArn: "arn:aws:iam::123456789012:role/deploy",
      awsRegion: "eu-west-1",
      namePrefix: "acme",
      githubOrganization: "acme",
      droneServer: "https://drone.acme.test",
      droneRunnerRoleArn: "arn:aws:iam::123456789012:role/drone-runner",
      databricksHost: "https://dbc.acme.test",
      databricksClientId: "platform-app",
      databricksCrossAccountRoleArn: "arn:aws:iam::123456789012:role/databricks-cross",
      modelCatalog: `ml_${environment}`,
      modelSchema: "models",
      ...values,
    },
    `stacks/Pulumi.${environment}.yaml`,
  );
}
const QA = settings("qa", { orchestrator: "databricks" });
const LIVE = settings("live", {
  production: true,
  orchestrator: "airflow",
  airflowDagBucket: "acme-airflow-live",
  protectData: true,
});

function service(overrides: Partial<ResolvedService> = {}, stack = QA): ResolvedService {
  return {
    ...resolveService(
      {
        name: "fraud",
        description: "Scores card payments.",
        team: "risk",
        owners: ["alice"],
        template: "sklearn",
        environments: ["qa", "live"],
        training: {
          entryPoint: "train",
          workers: 1,
          timeoutMinutes: 60,
          retries: 1,
          timezone: "Europe/Paris",
          schedule: "15 4 * * 1",
        },
        evaluation: {},
        artifacts: { retentionDays: 30 },
        notifications: { emails: [] },
        repository: { visibility: "private", topics: [] },
        images: { live: { gitSha: SHA, digest: DIGEST } },
        adopt: {},
        decommissioned: false,
      },
      stack,
    ),
    ...overrides,
  };
}

function args(svc: ResolvedService, stack: StackSettings): MlServiceArgs {
  return {
    service: svc,
    settings: stack,
    accountId: "123456789012",
    baseImageRef: "ecr.test/acme/base-qa:basetag",
    baseImageTag: "basetag",
    baseImageRepositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/acme/base-qa",
    imageSource:
      stack === QA
        ? { kind: "placeholder" }
        : {
            kind: "promoted",
            pin: { gitSha: SHA, digest: DIGEST },
            sourceEnvironment: "qa",
            sourceRepositoryUrl: "ecr.test/acme/fraud-qa",
            sourceRepositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/acme/fraud-qa",
          },
    promotionReaders:
      stack === QA ? ["arn:aws:iam::123456789012:role/acme-live-image-promotion"] : [],
    productionEnvironments: ["live"],
    droneToken: pulumi.secret("drone-token"),
    githubToken: pulumi.secret("github-token"),
  };
}

/** The components MlService declares directly: [type, name]. */
function pieces(declared: Declared[]): [string, string][] {
  return declared
    .filter((d) => d.parentType === "mlplatform:service:MlService")
    .map((d): [string, string] => [d.type, d.name])
    .sort((a, b) => (a[1] < b[1] ? -1 : 1));
}

beforeEach(() => mocks.reset());

describe("MlService", () => {
  test("the first environment: every piece, under the service's component, named from it", async () => {
    new MlService("fraud", args(service(), QA));
    await mocks.settle();
    expect(one(mocks.declared, "mlplatform:service:MlService", "fraud").parent).toBe("");
    expect(pieces(mocks.declared)).toEqual([
      ["mlplatform:drone:ServicePipeline", "fraud-ci"],
      ["mlplatform:github:RepositoryContent", "fraud-content"],
      ["mlplatform:identity:ServiceIdentities", "fraud-identities"],
      ["mlplatform:aws:ContainerRegistry", "fraud-images"],
      ["mlplatform:databricks:TrainingJobs", "fraud-jobs"],
      ["mlplatform:github:SourceRepository", "fraud-repo"],
      ["mlplatform:aws:ArtifactStore", "fraud-store"],
      ["mlplatform:mlflow:MlflowTracking", "fraud-tracking"],
    ]);
    // The cron converted to Quartz by the program (Quartz counts days of the week from Sunday = 1).
    expect(
      one(mocks.declared, "databricks:index/job:Job", "fraud-jobs-training").inputs.schedule,
    ).toEqual({
      quartzCronExpression: "0 15 4 ? * 2",
      timezoneId: "Europe/Paris",
      pauseStatus: "UNPAUSED",
    });
    // Every pipeline secret by its Drone name, as one secret value.
    const set = one(
      mocks.declared,
      "pulumi-nodejs:dynamic/drone:RepositorySecrets",
      "fraud-ci-secrets",
    );
    expect(Object.keys(set.inputs.exposure as object).sort()).toEqual([
      "aws_ci_role_arn",
      "databricks_client_id",
      "databricks_client_secret",
      "databricks_host",
      "databricks_training_job_id",
      "ecr_repository_url",
      "mlflow_experiment_id",
      "mlflow_tracking_uri",
    ]);
    expect(
      Object.values(PIPELINE_SECRETS)
        .map((p) => p.name)
        .sort(),
    ).toEqual(Object.keys(set.inputs.exposure as object).sort());
    expect(isSecret(set.inputs.values)).toBe(true);
    expect((reveal(set.inputs.values) as Record<string, string>).databricks_client_secret).toBe(
      "sp-secret",
    );
    // Pushes by the CI role only; pulls by the cluster role, the deploy role and the promotion role.
    const policy = JSON.parse(
      String(
        one(mocks.declared, "aws:ecr/repositoryPolicy:RepositoryPolicy", "fraud-images-policy")
          .inputs.policy,
      ),
    );
    expect(policy.Statement[1].Condition).toEqual({
      ArnLike: { "aws:PrincipalArn": ["arn:aws:iam::123456789012:role/acme-fraud-qa-ci"] },
    });
    expect(policy.Statement[0].Condition.ArnLike["aws:PrincipalArn"]).toEqual([
      "arn:aws:iam::123456789012:role/acme-fraud-qa-ci",
      "arn:aws:iam::123456789012:role/acme-fraud-qa-cluster",
      "arn:aws:iam::123456789012:role/acme-live-image-promotion",
      "arn:aws:iam::123456789012:role/deploy",
    ]);
    // No pin here: the jobs run the base image's placeholder, nothing is copied.
    expect(mocks.declared.filter((d) => d.type === "mlplatform:aws:ImageCopy")).toEqual([]);
  });

  test("a production environment: no CI role, repository or Drone secret; the DAG and the copied image", async () => {
    const ml = new MlService("fraud", args(service({}, LIVE), LIVE));
    await mocks.settle();
    expect(pieces(mocks.declared)).toEqual([
      ["mlplatform:airflow:AirflowDag", "fraud-dag"],
      ["mlplatform:identity:ServiceIdentities", "fraud-identities"],
      ["mlplatform:aws:ImageCopy", "fraud-image"],
      ["mlplatform:aws:ContainerRegistry", "fraud-images"],
      ["mlplatform:databricks:TrainingJobs", "fraud-jobs"],
      ["mlplatform:aws:ArtifactStore", "fraud-store"],
      ["mlplatform:mlflow:MlflowTracking", "fraud-tracking"],
    ]);
    expect(mocks.declared.filter((d) => d.type.startsWith("pulumi-nodejs:dynamic/drone"))).toEqual(
      [],
    );
    expect(
      mocks.declared.filter(
        (d) => d.name === "fraud-identities-ci" && d.type === "aws:iam/role:Role",
      ),
    ).toEqual([]);
    // Airflow triggers the runs: no Databricks schedule; the DAG names the job by its id.
    expect(
      one(mocks.declared, "databricks:index/job:Job", "fraud-jobs-training").inputs.schedule,
    ).toBeUndefined();
    const dag = one(mocks.declared, "aws:s3/bucketObjectv2:BucketObjectv2", "fraud-dag");
    expect([dag.inputs.bucket, dag.inputs.key, dag.inputs.contentType]).toEqual([
      "acme-airflow-live",
      "dags/fraud_live.py",
      "text/x-python",
    ]);
    expect(String(dag.inputs.content)).toContain("101");
    expect(String(dag.inputs.content)).toContain("fraud_live_training");
    // The pinned image copied by the promotion role, narrowed to one source and one target.
    const env = one(mocks.declared, "command:local:Command", "fraud-image").inputs
      .environment as Record<string, string>;
    expect(env.ROLE_ARN).toBe("arn:aws:iam::123456789012:role/acme-live-image-promotion");
    expect(
      JSON.parse(env.SESSION_POLICY).Statement.map((s: { Resource: string }) => s.Resource),
    ).toEqual([
      "*",
      "arn:aws:ecr:eu-west-1:123456789012:repository/acme/fraud-qa",
      "arn:aws:ecr:eu-west-1:123456789012:repository/acme/fraud-live",
    ]);
    expect(await new Promise((resolve) => ml.outputs.image!.apply(resolve))).toBe(
      `ecr.test/acme/fraud-live:${SHA}`,
    );
    // Data protected where the stack protects data.
    expect(one(mocks.declared, "aws:ecr/repository:Repository", "fraud-images").protect).toBe(true);
  });

  test("decommissioned: only the data-bearing pieces, retained and unprotected; the repository archived", async () => {
    new MlService("fraud", args(service({ decommissioned: true }), QA));
    await mocks.settle();
    expect(pieces(mocks.declared)).toEqual([
      ["mlplatform:aws:ContainerRegistry", "fraud-images"],
      ["mlplatform:github:SourceRepository", "fraud-repo"],
      ["mlplatform:aws:ArtifactStore", "fraud-store"],
      ["mlplatform:mlflow:MlflowTracking", "fraud-tracking"],
    ]);
    expect(
      one(mocks.declared, "github:index/repository:Repository", "fraud-repo").inputs.archived,
    ).toBe(true);
    const data = mocks.declared.filter((d) =>
      [
        "aws:ecr/repository:Repository",
        "aws:s3/bucket:Bucket",
        "databricks:index/registeredModel:RegisteredModel",
      ].includes(d.type),
    );
    expect(data).toHaveLength(4);
    for (const d of data)
      expect([d.name, d.retainOnDelete, d.protect]).toEqual([d.name, true, false]);
  });
});
