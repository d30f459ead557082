/**
 * Generated from services/schema.json by catalog/entry-types.ts; do not edit.
 * Regenerate: npx ts-node --transpile-only catalog/entry-types.ts
 */

/**
 * One machine-learning service. The file must be named services/<name>.yaml. Defaults below are applied by the platform, in one place (catalog/schema.ts).
 */
export interface MLServiceCatalogEntry {
  /**
   * Optional editor hint pointing at this schema; ignored by the platform.
   */
  $schema?: string;
  /**
   * Immutable id of the service. Every physical name (repository, buckets, ECR, jobs) derives from it; changing it means a new service. Reserved (they would take the platform's own names): `base`.
   */
  name: string;
  /**
   * Human-readable name shown in docs and the catalog page. Free to change at any time (unlike name). Defaults to name.
   */
  displayName?: string;
  /**
   * What the service predicts and for whom.
   */
  description: string;
  /**
   * Owning team: its GitHub team slug, also the Databricks group given access.
   */
  team: string;
  /**
   * GitHub handles of the people who own the service (CODEOWNERS).
   *
   * @minItems 1
   * @maxItems 20
   */
  owners: string[];
  /**
   * Which scaffold the service repository starts from. Defaults to sklearn.
   */
  template?: "sklearn" | "pyspark";
  /**
   * Environments that get the service; each must have a stack in stacks/.
   *
   * @minItems 1
   */
  environments: string[];
  /**
   * The training job.
   */
  training: {
    /**
     * Python module of the service package that trains. Defaults to train.
     */
    entryPoint?: string;
    /**
     * Databricks node type of the job cluster (new_cluster.node_type_id). A Databricks on AWS node type id is an EC2 instance type: family, generation and attributes, a dot, then the size (i3.xlarge, m5d.2xlarge, r6gd.4xlarge, c5.metal; the valid values in docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFleetInstance.html); the workspace's own list is the Clusters API's list-node-types (databricks-sdk-py databricks/sdk/service/compute.py ClusterSpec.node_type_id). Defaults to the stack's defaultNodeType.
     */
    nodeType?: string;
    /**
     * Worker count of the job cluster (0 = single node), sent as the Jobs API's new_cluster.num_workers. The API documents no maximum (docs.databricks.com/api/workspace/jobs/create; databricks-sdk-py databricks/sdk/service/compute.py ClusterSpec.num_workers): 64 is the platform's cost bound (a larger cluster needs a platform review). Defaults to 1.
     */
    workers?: number;
    /**
     * Run timeout in minutes, sent as the Jobs API's timeout_seconds (minutes x 60). The API reads 0 as no timeout and documents no maximum (docs.databricks.com/api/workspace/jobs/create; databricks-sdk-py databricks/sdk/service/jobs.py JobSettings.timeout_seconds): the platform requires a timeout, at most 2880 minutes (48 hours), so a stuck run cannot hold a cluster for days. Defaults to 120 minutes.
     */
    timeoutMinutes?: number;
    /**
     * Retries on failure, sent as the Jobs API's max_retries. The API reads -1 as retry forever and documents no maximum (databricks-sdk-py databricks/sdk/service/jobs.py Task.max_retries): the platform refuses -1 and bounds it at 5, so a failing job costs at most six runs. Defaults to 1.
     */
    retries?: number;
    /**
     * Retraining schedule, a 5-field cron expression (minute hour day-of-month month day-of-week). Omit for training on demand only. Converted to the Quartz quartz_cron_expression of the job's schedule (databricks-sdk-py databricks/sdk/service/jobs.py CronSchedule); Databricks enforces at least 10 seconds between scheduled runs (docs.databricks.com/jobs/scheduled), which a 5-field cron (one-minute resolution) always meets.
     */
    schedule?: string;
    /**
     * Time zone of the schedule (IANA name). Defaults to UTC.
     */
    timezone?: string;
  };
  /**
   * Optional batch-prediction job; omit for services without one.
   */
  batchPrediction?: {
    /**
     * Python module of the service package that predicts. Defaults to predict.
     */
    entryPoint?: string;
    /**
     * Batch-prediction schedule, a 5-field cron expression. Converted to the Quartz quartz_cron_expression of the job's schedule (databricks-sdk-py databricks/sdk/service/jobs.py CronSchedule); Databricks enforces at least 10 seconds between scheduled runs (docs.databricks.com/jobs/scheduled), which a 5-field cron (one-minute resolution) always meets.
     */
    schedule: string;
    /**
     * Time zone of the schedule (IANA name). Defaults to UTC.
     */
    timezone?: string;
    /**
     * Databricks node type (new_cluster.node_type_id). A Databricks on AWS node type id is an EC2 instance type: family, generation and attributes, a dot, then the size (i3.xlarge, m5d.2xlarge, r6gd.4xlarge, c5.metal; the valid values in docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFleetInstance.html); the workspace's own list is the Clusters API's list-node-types (databricks-sdk-py databricks/sdk/service/compute.py ClusterSpec.node_type_id). Defaults to the stack's defaultNodeType.
     */
    nodeType?: string;
    /**
     * Worker count (0 = single node), sent as the Jobs API's new_cluster.num_workers. The API documents no maximum (docs.databricks.com/api/workspace/jobs/create; databricks-sdk-py databricks/sdk/service/compute.py ClusterSpec.num_workers): 64 is the platform's cost bound (a larger cluster needs a platform review). Defaults to 1.
     */
    workers?: number;
    /**
     * Run timeout in minutes, sent as the Jobs API's timeout_seconds (minutes x 60). The API reads 0 as no timeout and documents no maximum (docs.databricks.com/api/workspace/jobs/create; databricks-sdk-py databricks/sdk/service/jobs.py JobSettings.timeout_seconds): the platform requires a timeout, at most 2880 minutes (48 hours), so a stuck run cannot hold a cluster for days. Defaults to 60 minutes.
     */
    timeoutMinutes?: number;
    /**
     * Retries on failure, sent as the Jobs API's max_retries. The API reads -1 as retry forever and documents no maximum (databricks-sdk-py databricks/sdk/service/jobs.py Task.max_retries): the platform refuses -1 and bounds it at 5, so a failing job costs at most six runs. Defaults to 1.
     */
    retries?: number;
  };
  /**
   * Validation gate: a new model becomes champion only when its metric passes the threshold and is no worse than the current champion.
   */
  evaluation?: {
    /**
     * Metric logged by train.py that decides promotion. Defaults to the template's primary metric (roc_auc for sklearn, rmse for pyspark).
     */
    metric?: string;
    /**
     * Bound the metric must meet, besides being no worse than the current champion. Defaults to 0.7 for the sklearn template's default metric, and to no bound otherwise.
     */
    threshold?: number;
    /**
     * Whether higher or lower metric values are better. Defaults to minimize for error metrics (rmse, mse, mae, mape, log_loss, loss) and maximize otherwise.
     */
    direction?: "maximize" | "minimize";
  };
  /**
   * Artifact and prediction storage.
   */
  artifacts?: {
    /**
     * Days noncurrent object versions are kept. Defaults to the stack's artifactRetentionDays.
     */
    retentionDays?: number;
  };
  /**
   * Who hears about failed runs.
   */
  notifications?: {
    /**
     * Addresses mailed on job failure, sent as the Jobs API's email_notifications.on_failure. The API documents no count limit (databricks-sdk-py databricks/sdk/service/jobs.py JobEmailNotifications.on_failure): 20 keeps failure mail to a team's list rather than a mailing campaign. Defaults to none.
     *
     * @maxItems 20
     */
    emails?: string[];
  };
  /**
   * The service's GitHub repository.
   */
  repository?: {
    /**
     * private or internal; never public. Defaults to private.
     */
    visibility?: "private" | "internal";
    /**
     * Extra GitHub topics (the platform adds ml-service and the team). Defaults to none.
     *
     * @maxItems 10
     */
    topics?: string[];
  };
  /**
   * The image each environment runs, pinned by the commit it was built from and its digest (both printed by the training pipeline and recorded on every MLflow model version). Promoting to an environment is a pull request that sets its pin; pulumi up then copies the image by digest from the first environment's registry and points both jobs at it. An environment without a pin runs the platform's placeholder, which reports that no image was promoted yet. Defaults to no pins.
   */
  images?: {
    /**
     * One environment's pin.
     */
    [k: string]: {
      /**
       * Full commit sha (40 hex characters) the image was built from; the image's tag in every registry.
       */
      gitSha: string;
      /**
       * Digest of the image's manifest (sha256:<64 hex>); the copy and the jobs are checked against it.
       */
      digest: string;
    };
  };
  /**
   * Existing resources this service takes over instead of creating them, per environment: `pulumi up` imports each one (Pulumi's import option) and then brings it to the declared settings. For resources named by the platform, the given name replaces the derived one. Only what is listed is adopted. Defaults to none.
   */
  adopt?: {
    /**
     * What one environment adopts.
     */
    [k: string]: {
      /**
       * Existing GitHub repository (name in the organisation); first environment only.
       */
      repository?: string;
      /**
       * Existing ECR repository name.
       */
      ecrRepository?: string;
      /**
       * Existing S3 bucket for artifacts.
       */
      artifactsBucket?: string;
      /**
       * Existing S3 bucket for predictions.
       */
      predictionsBucket?: string;
      /**
       * Id of an existing Databricks job that becomes the training job.
       */
      trainingJob?: string;
      /**
       * Id of an existing Databricks job that becomes the batch-prediction job.
       */
      batchPredictionJob?: string;
      /**
       * Id of an existing MLflow experiment.
       */
      experiment?: string;
      /**
       * Existing Unity Catalog model, <catalog>.<schema>.<model>.
       */
      registeredModel?: string;
    };
  };
  /**
   * Set to true (and merge) before deleting the entry: compute is removed, data stays. Required before an entry deployed to prod may be removed. Defaults to false.
   */
  decommissioned?: boolean;
}
