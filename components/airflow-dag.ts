import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ResolvedService } from "../lib/catalog/types";
import { AIRFLOW_DAG_CONTENT_TYPE, airflowDagKey, renderAirflowDag } from "../lib/render";
import { StackSettings } from "../lib/settings";

export interface AirflowDagArgs {
  /** The validated catalog entry, with this stack's defaults resolved (an active service). */
  service: ResolvedService;
  /** Settings of an airflow stack (orchestrator airflow, airflowDagBucket set). */
  settings: StackSettings;
  /** Id of the service's Databricks training job in this environment. */
  trainingJobId: pulumi.Input<string>;
  /** Id of its batch-prediction job; exactly when the entry has batch prediction. */
  batchPredictionJobId?: pulumi.Input<string>;
}

/**
 * The service's Airflow DAG file in the environment's DAG bucket (MWAA's DAG folder), at
 * `<airflowDagPrefix><package>_<environment>.py`: one DAG per Databricks job, starting the job
 * by its id (lib/render/airflow.ts). Its content is an Output, known once the jobs exist.
 *
 * Change detection does not rely on `etag` or `sourceHash`: `content` is itself an input kept in
 * the state, so a new DAG shows in a preview as a change of `content` and is uploaded again in
 * place (the provider's update puts the object when `content` or `contentType` changes:
 * hasObjectContentChanges in terraform-provider-aws internal/service/s3/object.go). An `etag`
 * would be wrong on a KMS-encrypted DAG bucket ("This attribute is not compatible with KMS
 * encryption", @pulumi/aws s3/bucketObjectv2.d.ts), and `sourceHash` would only repeat `content`.
 *
 * Not data: no retainOnDelete and no protect. Removing the service (or decommissioning it)
 * deletes its DAG file, so Airflow stops scheduling jobs that no longer exist. Not tagged: S3
 * allows at most 10 tags per object (same file), fewer than a service's tags with accountTags.
 */
export class AirflowDag extends pulumi.ComponentResource {
  public readonly object: aws.s3.BucketObjectv2;
  public readonly bucket: string;
  public readonly key: string;

  constructor(name: string, args: AirflowDagArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:airflow:AirflowDag", name, {}, opts);
    const { service, settings } = args;
    // Render once with stand-in ids now, so a bad entry or stack file fails at declaration,
    // not in the middle of an update.
    renderAirflowDag(service, settings, {
      training: "0",
      batchPrediction: service.batchPrediction ? "0" : undefined,
    });
    this.bucket = settings.airflowDagBucket;
    this.key = airflowDagKey(service.name, settings);
    const content = pulumi
      .all([args.trainingJobId, args.batchPredictionJobId])
      .apply(
        ([training, batchPrediction]) =>
          renderAirflowDag(service, settings, { training, batchPrediction }).content,
      );
    this.object = new aws.s3.BucketObjectv2(
      name,
      {
        bucket: this.bucket,
        key: this.key,
        content,
        contentType: AIRFLOW_DAG_CONTENT_TYPE,
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.bucket, key: this.key });
  }
}
