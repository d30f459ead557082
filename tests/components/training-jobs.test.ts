/**
 * TrainingJobs from a purpose-built Args value: the secret scope holds the principal's secret
 * (secret input) readable by the principal only; each job runs the image given on a new cluster
 * with the instance profile, on the Quartz schedule given (none where Airflow triggers the runs),
 * and its permissions name exactly the team, the principal and the runners given.
 */
import { isSecret, one, recordDeclarations, reveal, tree } from "./harness";

const mocks = recordDeclarations();

// Imported after setMocks, as a program would.
import {
  CLIENT_SECRET_KEY,
  PLACEHOLDER_PYTHON_FILE,
  TrainingJobs,
  TrainingJobsArgs,
} from "../../components/training-jobs";

const JOB = "databricks:index/job:Job";
const PERMISSIONS = "databricks:index/permissions:Permissions";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const DIGEST = `sha256:${"ef".repeat(32)}`;
const TAGS = { service: "fraud" };

const ARGS: TrainingJobsArgs = {
  pythonPackage: "fraud",
  training: {
    jobName: "acme-fraud-qa-training",
    entryPoint: "train",
    nodeType: "m5d.large",
    workers: 2,
    timeoutMinutes: 30,
    retries: 2,
    schedule: { quartzCronExpression: "0 15 4 ? * MON", timezoneId: "Europe/Paris" },
  },
  batchPrediction: {
    jobName: "acme-fraud-qa-batch-prediction",
    entryPoint: "predict",
    nodeType: "i3.xlarge",
    workers: 0,
    timeoutMinutes: 10,
    retries: 1,
    schedule: { quartzCronExpression: "0 0 * ? * *", timezoneId: "UTC" },
  },
  scheduleInDatabricks: true,
  sparkVersion: "15.4.x-scala2.12",
  image: { url: `repo/fraud:${SHA}`, gitSha: SHA, tag: SHA, digest: DIGEST, placeholder: false },
  instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/acme-fraud-qa-cluster",
  secretScopeName: "acme-fraud-qa",
  servicePrincipalClientId: "app-123",
  servicePrincipalSecret: "oauth-secret",
  teamGroup: "risk",
  notificationEmails: ["risk@acme.test"],
  environment: { SERVICE_NAME: "fraud" },
  tags: TAGS,
};

beforeEach(() => mocks.reset());

type Task = Record<string, unknown> & {
  newCluster: Record<string, unknown>;
  sparkPythonTask: { pythonFile: string };
};
const taskOf = (name: string): Task => (one(mocks.declared, JOB, name).inputs.tasks as Task[])[0];

describe("TrainingJobs", () => {
  test("scope, secret, ACL, and per job the job and its permissions, all parented in the component", async () => {
    new TrainingJobs("fraud-jobs", ARGS);
    await mocks.settle();
    const p = "fraud-jobs";
    expect(tree(mocks.declared)).toEqual([
      [JOB, `${p}-batch-prediction`, p],
      [JOB, `${p}-training`, p],
      [PERMISSIONS, `${p}-batch-prediction`, p],
      [PERMISSIONS, `${p}-training`, p],
      ["databricks:index/secret:Secret", `${p}-client-secret`, p],
      ["databricks:index/secretAcl:SecretAcl", `${p}-scope-reader`, p],
      ["databricks:index/secretScope:SecretScope", `${p}-scope`, p],
      ["mlplatform:databricks:TrainingJobs", p, ""],
    ]);
    const secret = one(mocks.declared, "databricks:index/secret:Secret", `${p}-client-secret`);
    expect(secret.inputs.key).toBe(CLIENT_SECRET_KEY);
    expect(isSecret(secret.inputs.stringValue)).toBe(true);
    expect(reveal(secret.inputs.stringValue)).toBe("oauth-secret");
    expect(
      one(mocks.declared, "databricks:index/secretAcl:SecretAcl", `${p}-scope-reader`).inputs,
    ).toEqual({
      scope: "acme-fraud-qa",
      principal: "app-123",
      permission: "READ",
    });
  });

  test("the training job: the Quartz schedule given, the pinned image, the instance profile, the secret by reference", async () => {
    new TrainingJobs("fraud-jobs", ARGS);
    await mocks.settle();
    const job = one(mocks.declared, JOB, "fraud-jobs-training");
    expect(job.inputs).toMatchObject({
      name: "acme-fraud-qa-training",
      maxConcurrentRuns: 1,
      timeoutSeconds: 1800,
      runAs: { servicePrincipalName: "app-123" },
      emailNotifications: { onFailures: ["risk@acme.test"], noAlertForSkippedRuns: true },
      schedule: {
        quartzCronExpression: "0 15 4 ? * MON",
        timezoneId: "Europe/Paris",
        pauseStatus: "UNPAUSED",
      },
      parameters: [
        { name: "git_sha", default: SHA },
        { name: "image_tag", default: SHA },
        { name: "image_digest", default: DIGEST },
      ],
      tags: TAGS,
    });
    const task = taskOf("fraud-jobs-training");
    expect(task).toMatchObject({
      taskKey: "training",
      maxRetries: 2,
      retryOnTimeout: false,
      timeoutSeconds: 1800,
    });
    expect(task.newCluster).toEqual({
      sparkVersion: "15.4.x-scala2.12",
      nodeTypeId: "m5d.large",
      numWorkers: 2,
      dockerImage: { url: `repo/fraud:${SHA}` },
      awsAttributes: {
        instanceProfileArn: "arn:aws:iam::123456789012:instance-profile/acme-fraud-qa-cluster",
        availability: "SPOT_WITH_FALLBACK",
      },
      sparkEnvVars: {
        SERVICE_NAME: "fraud",
        DATABRICKS_CLIENT_ID: "app-123",
        DATABRICKS_CLIENT_SECRET: `{{secrets/acme-fraud-qa/${CLIENT_SECRET_KEY}}}`,
      },
      customTags: TAGS,
    });
    expect(task.sparkPythonTask.pythonFile).toBe("file:/app/src/fraud/train.py");
    expect(one(mocks.declared, PERMISSIONS, "fraud-jobs-training").inputs).toEqual({
      jobId: "fraud-jobs-training-id",
      accessControls: [
        { groupName: "risk", permissionLevel: "CAN_MANAGE_RUN" },
        { servicePrincipalName: "app-123", permissionLevel: "CAN_MANAGE" },
      ],
    });
  });

  test("workers 0: a single-node cluster with the settings the provider requires", async () => {
    new TrainingJobs("fraud-jobs", ARGS);
    await mocks.settle();
    const cluster = taskOf("fraud-jobs-batch-prediction").newCluster;
    expect(cluster.numWorkers).toBe(0);
    expect(cluster.sparkConf).toEqual({
      "spark.databricks.cluster.profile": "singleNode",
      "spark.master": "local[*]",
    });
    expect(cluster.customTags).toEqual({ ...TAGS, ResourceClass: "SingleNode" });
    expect(taskOf("fraud-jobs-training").newCluster.sparkConf).toBeUndefined();
  });

  test("Airflow triggers the runs: no Databricks schedule, no task retries, the runner may run the jobs", async () => {
    new TrainingJobs("fraud-jobs", {
      ...ARGS,
      scheduleInDatabricks: false,
      runners: ["airflow-app"],
    });
    await mocks.settle();
    for (const job of ["training", "batch-prediction"]) {
      expect(one(mocks.declared, JOB, `fraud-jobs-${job}`).inputs.schedule).toBeUndefined();
      expect(taskOf(`fraud-jobs-${job}`).maxRetries).toBe(0);
      expect(
        one(mocks.declared, PERMISSIONS, `fraud-jobs-${job}`).inputs.accessControls,
      ).toContainEqual({
        servicePrincipalName: "airflow-app",
        permissionLevel: "CAN_MANAGE_RUN",
      });
    }
  });

  test("no batch prediction and no schedule: one job, on demand; the placeholder image runs its placeholder file", async () => {
    const jobs = new TrainingJobs("lean-jobs", {
      ...ARGS,
      batchPrediction: undefined,
      training: { ...ARGS.training, schedule: undefined },
      image: {
        url: "repo/base:abc",
        gitSha: "unknown",
        tag: "abc",
        digest: "unknown",
        placeholder: true,
      },
      importIds: { training: "1234" },
    });
    await mocks.settle();
    expect(jobs.batchPredictionJob).toBeUndefined();
    expect(mocks.declared.filter((d) => d.type === JOB).map((d) => d.name)).toEqual([
      "lean-jobs-training",
    ]);
    const job = one(mocks.declared, JOB, "lean-jobs-training");
    expect(job.inputs.schedule).toBeUndefined();
    expect(job.importId).toBe("1234");
    expect(taskOf("lean-jobs-training").sparkPythonTask.pythonFile).toBe(PLACEHOLDER_PYTHON_FILE);
  });
});
