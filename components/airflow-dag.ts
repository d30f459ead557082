import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AirflowDagArgs {
  /** The environment's DAG bucket (MWAA's source bucket). */
  bucket: string;
  /** Object key of the DAG file (`<airflowDagPrefix><package>_<environment>.py`). */
  key: string;
  /** The rendered DAG file; an Output until the jobs it names by id exist. */
  content: pulumi.Input<string>;
  /** Content type of the object (a Python file for Airflow's DAG processor). */
  contentType: string;
}

/**
 * The service's Airflow DAG file in the environment's DAG bucket (MWAA's DAG folder), at
 * the key given: one DAG per Databricks job, starting the job by its id (rendered by the program).
 * Its content is an Output, known once the jobs exist.
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
    this.bucket = args.bucket;
    this.key = args.key;
    this.object = new aws.s3.BucketObjectv2(
      name,
      {
        bucket: this.bucket,
        key: this.key,
        content: args.content,
        contentType: args.contentType,
      },
      { parent: this },
    );
    this.registerOutputs({ bucket: this.bucket, key: this.key });
  }
}
