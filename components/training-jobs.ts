import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { JobEntry } from "../lib/catalog/types";
import { toQuartz } from "../lib/catalog/cron";

/** Key of the service principal's OAuth secret inside the service's secret scope. */
export const CLIENT_SECRET_KEY = "databricks-client-secret";
/** Tag of the image a job runs until the service pipeline first trains (then it sets the commit's tag). */
export const BOOTSTRAP_IMAGE_TAG = "bootstrap";

export interface JobSpec extends JobEntry {
  nodeType: string;
  /** Physical job name (from lib/names.ts). */
  jobName: string;
  /** Python module run by the task (src/<package>/<entryPoint>.py inside the image). */
  entryPoint: string;
}

export interface TrainingJobsArgs {
  /** The service's Python package inside the image. */
  pythonPackage: string;
  training: JobSpec;
  /** Omit for services without batch prediction. */
  batchPrediction?: JobSpec;
  /** Whether Databricks schedules runs (false when an Airflow DAG triggers them). */
  scheduleInDatabricks: boolean;
  /** Databricks runtime of the job clusters. */
  sparkVersion: string;
  /** ECR repository URL of the service's images. */
  imageRepositoryUrl: pulumi.Input<string>;
  /** Databricks instance profile ARN of the job clusters. */
  instanceProfileArn: pulumi.Input<string>;
  /** Secret scope name for the service (from lib/names.ts). */
  secretScopeName: string;
  /** Application id of the service principal the jobs run as. */
  servicePrincipalClientId: pulumi.Input<string>;
  /** OAuth secret of that principal, stored in the scope for code that calls Databricks APIs. */
  servicePrincipalSecret: pulumi.Input<string>;
  /** Databricks group of the owning team (views and manages runs). */
  teamGroup: string;
  /** Emails notified on failure. */
  notificationEmails: string[];
  /** Environment variables of every task (MLflow experiment, buckets...). Plain values only. */
  environment: Record<string, pulumi.Input<string>>;
  tags: Record<string, string>;
}

/**
 * The service's Databricks jobs (training and, when the entry has one, batch prediction), each a
 * task on a new cluster running the service's Docker image, plus the secret scope that holds what
 * those jobs need (referenced as {{secrets/<scope>/<key>}}, never passed as plain parameters).
 */
export class TrainingJobs extends pulumi.ComponentResource {
  public readonly secretScope: databricks.SecretScope;
  public readonly trainingJob: databricks.Job;
  public readonly batchPredictionJob?: databricks.Job;
  public readonly trainingJobId: pulumi.Output<string>;
  public readonly batchPredictionJobId?: pulumi.Output<string>;

  constructor(name: string, args: TrainingJobsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:databricks:TrainingJobs", name, {}, opts);
    const child = { parent: this };

    this.secretScope = new databricks.SecretScope(
      `${name}-scope`,
      { name: args.secretScopeName },
      child,
    );
    const clientSecret = new databricks.Secret(
      `${name}-client-secret`,
      {
        scope: this.secretScope.name,
        key: CLIENT_SECRET_KEY,
        stringValue: pulumi.secret(args.servicePrincipalSecret),
      },
      child,
    );
    new databricks.SecretAcl(
      `${name}-scope-reader`,
      {
        scope: this.secretScope.name,
        principal: args.servicePrincipalClientId,
        permission: "READ",
      },
      child,
    );

    const declareJob = (suffix: string, spec: JobSpec, dependsOn: pulumi.Resource[]) => {
      const job = new databricks.Job(
        `${name}-${suffix}`,
        {
          name: spec.jobName,
          description: `${suffix} of ${args.pythonPackage}; managed by mlplatform, edit the catalog entry instead.`,
          maxConcurrentRuns: 1,
          timeoutSeconds: spec.timeoutMinutes * 60,
          runAs: { servicePrincipalName: args.servicePrincipalClientId },
          emailNotifications: { onFailures: args.notificationEmails, noAlertForSkippedRuns: true },
          schedule:
            args.scheduleInDatabricks && spec.schedule
              ? {
                  quartzCronExpression: toQuartz(spec.schedule),
                  timezoneId: spec.timezone,
                  pauseStatus: "UNPAUSED",
                }
              : undefined,
          parameters: [
            { name: "git_sha", default: "unknown" },
            { name: "image_tag", default: BOOTSTRAP_IMAGE_TAG },
          ],
          tasks: [
            {
              taskKey: suffix.replace(/-/g, "_"),
              maxRetries: spec.retries,
              minRetryIntervalMillis: 300_000,
              retryOnTimeout: false,
              timeoutSeconds: spec.timeoutMinutes * 60,
              newCluster: {
                sparkVersion: args.sparkVersion,
                nodeTypeId: spec.nodeType,
                numWorkers: spec.workers,
                dockerImage: {
                  url: pulumi.interpolate`${args.imageRepositoryUrl}:${BOOTSTRAP_IMAGE_TAG}`,
                },
                awsAttributes: {
                  instanceProfileArn: args.instanceProfileArn,
                  availability: "SPOT_WITH_FALLBACK",
                },
                sparkEnvVars: {
                  ...args.environment,
                  DATABRICKS_CLIENT_ID: args.servicePrincipalClientId,
                  DATABRICKS_CLIENT_SECRET: pulumi.interpolate`{{secrets/${this.secretScope.name}/${CLIENT_SECRET_KEY}}}`,
                },
                customTags: args.tags,
              },
              sparkPythonTask: {
                pythonFile: `file:/app/src/${args.pythonPackage}/${spec.entryPoint}.py`,
                parameters: [
                  "--git-sha",
                  "{{job.parameters.git_sha}}",
                  "--image-tag",
                  "{{job.parameters.image_tag}}",
                ],
              },
            },
          ],
          tags: args.tags,
        },
        // The service pipeline points the job at the image of the commit it trained (see the template's .drone.yml).
        { parent: this, dependsOn, ignoreChanges: ["tasks[0].newCluster.dockerImage.url"] },
      );
      new databricks.Permissions(
        `${name}-${suffix}`,
        {
          jobId: job.id,
          accessControls: [
            { groupName: args.teamGroup, permissionLevel: "CAN_MANAGE_RUN" },
            { servicePrincipalName: args.servicePrincipalClientId, permissionLevel: "CAN_MANAGE" },
          ],
        },
        child,
      );
      return job;
    };

    this.trainingJob = declareJob("training", args.training, [clientSecret]);
    this.trainingJobId = this.trainingJob.id;
    if (args.batchPrediction) {
      this.batchPredictionJob = declareJob("batch-prediction", args.batchPrediction, [
        clientSecret,
      ]);
      this.batchPredictionJobId = this.batchPredictionJob.id;
    }
    this.registerOutputs({
      trainingJobId: this.trainingJobId,
      batchPredictionJobId: this.batchPredictionJobId,
    });
  }
}
