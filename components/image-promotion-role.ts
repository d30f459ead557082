import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ECR_PULL_ACTIONS, ECR_PUSH_ACTIONS } from "./container-registry";
import { policyDocumentOutput } from "./iam-documents";

export interface ImagePromotionRoleArgs {
  /** IAM role name (from catalog/names.ts platformNames). */
  roleName: string;
  /** The deploy role of this environment: the only principal that may assume this one. */
  deployRoleArn: pulumi.Input<string>;
  /** ARN patterns of the source environments' service repositories it may read. */
  sourceRepositoryPatterns: string[];
  /** ARN pattern of this environment's service repositories it may write. */
  targetRepositoryPattern: string;
  /** The platform base image's repository, which matches the pattern and is refused explicitly. */
  baseImageRepositoryArn: string;
  tags: Record<string, string>;
}

/**
 * The role that copies pinned images into one environment's service registries: read the source
 * environments' service repositories (also across accounts: the source repository's policy names
 * this role), write this environment's, never the base image. Each copy narrows it further with a
 * session policy to exactly one source and one target repository (program/delivery.ts).
 */
export class ImagePromotionRole extends pulumi.ComponentResource {
  public readonly role: aws.iam.Role;
  public readonly arn: pulumi.Output<string>;

  constructor(
    name: string,
    args: ImagePromotionRoleArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:aws:ImagePromotionRole", name, {}, opts);
    const read = [...ECR_PULL_ACTIONS, "ecr:DescribeImages"];
    this.role = new aws.iam.Role(
      name,
      {
        name: args.roleName,
        description: "Copies pinned service images into this environment's registries by digest.",
        maxSessionDuration: 3600,
        assumeRolePolicy: policyDocumentOutput([
          {
            Sid: "DeployRoleOnly",
            Effect: "Allow",
            Principal: { AWS: args.deployRoleArn },
            Action: ["sts:AssumeRole"],
          },
        ]),
        tags: args.tags,
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: policyDocumentOutput([
          {
            Sid: "EcrLogin",
            Effect: "Allow",
            Action: ["ecr:GetAuthorizationToken"],
            Resource: "*",
          },
          {
            Sid: "ReadSourceImages",
            Effect: "Allow",
            Action: read,
            Resource: args.sourceRepositoryPatterns,
          },
          {
            Sid: "WriteTargetImages",
            Effect: "Allow",
            Action: [...read, ...ECR_PUSH_ACTIONS],
            Resource: args.targetRepositoryPattern,
          },
          {
            Sid: "NeverTheBaseImage",
            Effect: "Deny",
            Action: ECR_PUSH_ACTIONS,
            Resource: args.baseImageRepositoryArn,
          },
        ]),
      },
      { parent: this },
    );
    this.arn = this.role.arn;
    this.registerOutputs({ arn: this.arn });
  }
}
