import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { policyDocumentOutput } from "./iam-documents";
import { dataResourceOptions } from "./tags";

export interface ContainerRegistryArgs {
  /** ECR repository name (from lib/names.ts). */
  repositoryName: string;
  tags: Record<string, string>;
  /** Untagged images expire after this many days. Defaults to 7. */
  untaggedExpiryDays?: number;
  /** Tagged images kept (newest first). Defaults to 50. */
  keepTaggedImages?: number;
  /** Mark the repository `protect` (it is always retained on delete). Defaults to false. */
  protect?: boolean;
}

/**
 * One ECR repository: immutable tags (images are tagged with the git sha), scan on push, KMS
 * encryption, lifecycle rules. Access is granted by the identities' policies and narrowed here by
 * `grantAccess` (pull for the cluster role, push for the CI role, nobody else).
 */
export class ContainerRegistry extends pulumi.ComponentResource {
  public readonly repository: aws.ecr.Repository;
  public readonly repositoryUrl: pulumi.Output<string>;
  public readonly arn: pulumi.Output<string>;
  private readonly logicalName: string;

  constructor(
    name: string,
    args: ContainerRegistryArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:aws:ContainerRegistry", name, {}, opts);
    this.logicalName = name;
    const {
      repositoryName,
      tags,
      untaggedExpiryDays = 7,
      keepTaggedImages = 50,
      protect = false,
    } = args;

    this.repository = new aws.ecr.Repository(
      name,
      {
        name: repositoryName,
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "KMS" }],
        forceDelete: false,
        tags,
      },
      { parent: this, ...dataResourceOptions(protect) },
    );

    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      {
        repository: this.repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `Expire untagged images after ${untaggedExpiryDays} days`,
              selection: {
                tagStatus: "untagged",
                countType: "sinceImagePushed",
                countUnit: "days",
                countNumber: untaggedExpiryDays,
              },
              action: { type: "expire" },
            },
            {
              rulePriority: 2,
              description: `Keep the newest ${keepTaggedImages} tagged images`,
              selection: {
                tagStatus: "any",
                countType: "imageCountMoreThan",
                countNumber: keepTaggedImages,
              },
              action: { type: "expire" },
            },
          ],
        }),
      },
      { parent: this },
    );

    this.repositoryUrl = this.repository.repositoryUrl;
    this.arn = this.repository.arn;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, arn: this.arn });
  }

  /**
   * Repository policy: pulls only by `pullRoleArn`, pushes only by `pushRoleArn`. A method rather
   * than an argument because those roles' own policies need this repository's ARN first.
   */
  grantAccess(
    pullRoleArn: pulumi.Input<string>,
    pushRoleArn: pulumi.Input<string>,
  ): aws.ecr.RepositoryPolicy {
    return new aws.ecr.RepositoryPolicy(
      `${this.logicalName}-policy`,
      {
        repository: this.repository.name,
        policy: policyDocumentOutput([
          {
            Sid: "PullByClusterRole",
            Effect: "Allow",
            Principal: { AWS: pullRoleArn },
            Action: ECR_PULL_ACTIONS,
          },
          {
            Sid: "PushByCiRole",
            Effect: "Allow",
            Principal: { AWS: pushRoleArn },
            Action: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS],
          },
        ]),
      },
      { parent: this },
    );
  }
}

/** Actions needed to pull an image (besides ecr:GetAuthorizationToken, which has no resource). */
export const ECR_PULL_ACTIONS = [
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
];
/** Actions needed to push an image. */
export const ECR_PUSH_ACTIONS = [
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
];
