import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";

/** Key of the service principal's OAuth secret inside the service's secret scope. */
export const CLIENT_SECRET_KEY = "databricks-client-secret";
/**
 * What a job runs before any image of the service reached its environment: the platform base
 * image's placeholder, which says so and exits 0 (templates/base-image/no_model_yet.py).
 */
export const PLACEHOLDER_PYTHON_FILE = "file:/opt/mlplatform/no_model_yet.py";

/**
 * Spark settings of a single-node job cluster. The Databricks provider refuses `num_workers = 0`
 * unless all three are set (terraform-provider-databricks clusters/clusters_api.go,
 * Cluster.Validate: "NumWorkers could be 0 only for SingleNode clusters").
 */
export const SINGLE_NODE_SPARK_CONF = {
  "spark.databricks.cluster.profile": "singleNode",
  "spark.master": "local[*]",
} as const;
export const SINGLE_NODE_TAGS = { ResourceClass: "SingleNode" } as const;

/** The image both jobs run, and where it came from (recorded on every MLflow run). */
export interface JobImage {
  /** Image reference the clusters pull (`<repository>:<git sha>`, or the base image). */
  url: pulumi.Input<string>;
  /** Commit the image was built from ("unknown" for the placeholder). */
  gitSha: string;
  /** The image's tag. */
  tag: string;
  /** Manifest digest (sha256:...), "unknown" for the placeholder. */
  digest: string;
  /** True for the platform's placeholder: the task runs PLACEHOLDER_PYTHON_FILE. */
  placeholder: boolean;
}

/** One job's settings, as the catalog entry and the stack decide them. */
export interface JobSpec {
  /** Physical job name. */
  jobName: string;
  /** Python module run by the task (src/<package>/<entryPoint>.py inside the image). */
  entryPoint: string;
  /** Databricks node type of the job cluster (new_cluster.node_type_id). */
  nodeType: string;
  /** Worker count of the job cluster; 0 makes a single-node cluster. */
  workers: number;
  /** Run timeout in minutes (sent as timeout_seconds, job and task). */
  timeoutMinutes: number;
  /** Retries on failure (the task's max_retries) where Databricks schedules the runs. */
  retries: number;
  /**
   * The Databricks schedule, already in Quartz syntax (databricks-sdk-py
   * databricks/sdk/service/jobs.py CronSchedule: quartz_cron_expression, timezone_id). Defaults
   * to none: runs on demand only. Ignored unless `scheduleInDatabricks`.
   */
  schedule?: { quartzCronExpression: string; timezoneId: string };
}

export interface TrainingJobsArgs {
  /** The service's Python package inside the image. */
  pythonPackage: string;
  training: JobSpec;
  /** Omit for services without batch prediction. */
  batchPrediction?: JobSpec;
  /** Adopt existing jobs: their ids, imported on the next up. Defaults to none. */
  importIds?: { training?: string; batchPrediction?: string };
  /**
   * Principals that start the jobs from outside Databricks (the Airflow connection's, when it is
   * not the jobs' owner): CAN_MANAGE_RUN on both jobs. Defaults to none.
   */
  runners?: pulumi.Input<string>[];
  /** Whether Databricks schedules runs (false when an Airflow DAG triggers them). */
  scheduleInDatabricks: boolean;
  /** Databricks runtime of the job clusters. */
  sparkVersion: string;
  /** The image both jobs run: training and batch prediction always move together. */
  image: JobImage;
  /** Databricks instance profile ARN of the job clusters. */
  instanceProfileArn: pulumi.Input<string>;
  /** Secret scope name for the service. */
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

    const declareJob = (
      suffix: string,
      spec: JobSpec,
      dependsOn: pulumi.Resource[],
      importId?: string,
    ) => {
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
                  quartzCronExpression: spec.schedule.quartzCronExpression,
                  timezoneId: spec.schedule.timezoneId,
                  pauseStatus: "UNPAUSED",
                }
              : undefined,
          parameters: [
            { name: "git_sha", default: args.image.gitSha },
            { name: "image_tag", default: args.image.tag },
            { name: "image_digest", default: args.image.digest },
          ],
          tasks: [
            {
              taskKey: suffix.replace(/-/g, "_"),
              // Where Airflow triggers the runs its task retries them; retrying here too would
              // run a failing job (retries + 1) squared times.
              maxRetries: args.scheduleInDatabricks ? spec.retries : 0,
              minRetryIntervalMillis: 300_000,
              retryOnTimeout: false,
              timeoutSeconds: spec.timeoutMinutes * 60,
              newCluster: {
                sparkVersion: args.sparkVersion,
                nodeTypeId: spec.nodeType,
                numWorkers: spec.workers,
                ...(spec.workers === 0 ? { sparkConf: { ...SINGLE_NODE_SPARK_CONF } } : {}),
                // Declared from the catalog's pin: `pulumi up` and the job can never disagree.
                dockerImage: { url: args.image.url },
                awsAttributes: {
                  instanceProfileArn: args.instanceProfileArn,
                  availability: "SPOT_WITH_FALLBACK",
                },
                sparkEnvVars: {
                  ...args.environment,
                  DATABRICKS_CLIENT_ID: args.servicePrincipalClientId,
                  DATABRICKS_CLIENT_SECRET: pulumi.interpolate`{{secrets/${this.secretScope.name}/${CLIENT_SECRET_KEY}}}`,
                },
                customTags: spec.workers === 0 ? { ...args.tags, ...SINGLE_NODE_TAGS } : args.tags,
              },
              sparkPythonTask: {
                pythonFile: args.image.placeholder
                  ? PLACEHOLDER_PYTHON_FILE
                  : `file:/app/src/${args.pythonPackage}/${spec.entryPoint}.py`,
                parameters: [
                  "--git-sha",
                  "{{job.parameters.git_sha}}",
                  "--image-tag",
                  "{{job.parameters.image_tag}}",
                  "--image-digest",
                  "{{job.parameters.image_digest}}",
                ],
              },
            },
          ],
          tags: args.tags,
        },
        // No ignoreChanges: the provider updates a job with jobs/reset, which replaces all its
        // settings, so the pipeline never edits the job (it trains a commit in a one-time run).
        { parent: this, dependsOn, import: importId },
      );
      new databricks.Permissions(
        `${name}-${suffix}`,
        {
          jobId: job.id,
          accessControls: [
            { groupName: args.teamGroup, permissionLevel: "CAN_MANAGE_RUN" },
            { servicePrincipalName: args.servicePrincipalClientId, permissionLevel: "CAN_MANAGE" },
            // run-now needs CAN_MANAGE_RUN (Databricks job permission levels).
            ...(args.runners ?? []).map((runner) => ({
              servicePrincipalName: runner,
              permissionLevel: "CAN_MANAGE_RUN",
            })),
          ],
        },
        child,
      );
      return job;
    };

    this.trainingJob = declareJob(
      "training",
      args.training,
      [clientSecret],
      args.importIds?.training,
    );
    this.trainingJobId = this.trainingJob.id;
    if (args.batchPrediction) {
      this.batchPredictionJob = declareJob(
        "batch-prediction",
        args.batchPrediction,
        [clientSecret],
        args.importIds?.batchPrediction,
      );
      this.batchPredictionJobId = this.batchPredictionJob.id;
    }
    this.registerOutputs({
      trainingJobId: this.trainingJobId,
      batchPredictionJobId: this.batchPredictionJobId,
    });
  }
}
