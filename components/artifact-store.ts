import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocumentOutput } from "./iam-documents";
import { dataResourceOptions } from "./tags";

export interface ArtifactStoreArgs {
  /** Physical name of the artifacts bucket (models, MLflow artifacts, CI uploads). */
  artifactsBucketName: string;
  /** Physical name of the predictions bucket (batch-prediction output). */
  predictionsBucketName: string;
  /** Days noncurrent object versions are kept before they expire. */
  retentionDays: number;
  tags: Record<string, string>;
  /** Days before incomplete multipart uploads are aborted. Defaults to 7. */
  abortIncompleteUploadDays?: number;
  /** Mark the buckets `protect` (they are always retained on delete). Defaults to false. */
  protect?: boolean;
  /** Adopt an existing artifacts bucket (imported by name). Defaults to none. */
  artifactsImportId?: string;
  /** Adopt an existing predictions bucket (imported by name). Defaults to none. */
  predictionsImportId?: string;
}

/** One private, versioned, encrypted, TLS-only bucket with lifecycle rules. */
export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly bucketName: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      bucketName: string;
      retentionDays: number;
      abortIncompleteUploadDays: number;
      tags: Record<string, string>;
      protect: boolean;
      /** Adopt an existing bucket: its name, imported on the next up. */
      importId?: string;
    },
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:aws:SecureBucket", name, {}, opts);
    // The lock-down stays with the bucket: removing an entry must not leave a retained bucket open.
    const child = { parent: this, retainOnDelete: true };

    this.bucket = new aws.s3.Bucket(
      name,
      { bucket: args.bucketName, forceDestroy: false, objectLockEnabled: false, tags: args.tags },
      { parent: this, ...dataResourceOptions(args.protect), import: args.importId },
    );
    const bucketId = this.bucket.id;

    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access-block`,
      {
        bucket: bucketId,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
            bucketKeyEnabled: true,
          },
        ],
      },
      child,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketId,
        rules: [
          {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: args.retentionDays },
          },
          {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: args.abortIncompleteUploadDays },
          },
        ],
      },
      child,
    );
    // The deny policy goes on after the public access block so S3 never sees a policy it must vet for publicity.
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        bucket: bucketId,
        policy: policyDocumentOutput([
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: ["s3:*"],
            Resource: [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]),
      },
      { ...child, dependsOn: [publicAccessBlock] },
    );

    this.bucketName = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, arn: this.arn });
  }
}

/** The service's artifacts and predictions buckets. */
export class ArtifactStore extends pulumi.ComponentResource {
  public readonly artifacts: SecureBucket;
  public readonly predictions: SecureBucket;

  constructor(name: string, args: ArtifactStoreArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:aws:ArtifactStore", name, {}, opts);
    const {
      artifactsBucketName,
      predictionsBucketName,
      retentionDays,
      tags,
      abortIncompleteUploadDays = 7,
      protect = false,
    } = args;
    const common = { retentionDays, abortIncompleteUploadDays, tags, protect };
    this.artifacts = new SecureBucket(
      `${name}-artifacts`,
      { bucketName: artifactsBucketName, ...common, importId: args.artifactsImportId },
      { parent: this },
    );
    this.predictions = new SecureBucket(
      `${name}-predictions`,
      { bucketName: predictionsBucketName, ...common, importId: args.predictionsImportId },
      { parent: this },
    );
    this.registerOutputs({
      artifactsBucket: this.artifacts.bucketName,
      predictionsBucket: this.predictions.bucketName,
    });
  }
}
