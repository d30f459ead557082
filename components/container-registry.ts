import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PolicyStatement } from "./iam-documents";
import { dataResourceOptions } from "./tags";

export interface ContainerRegistryArgs {
  /** ECR repository name (from catalog/names.ts). */
  repositoryName: string;
  tags: Record<string, string>;
  /** Untagged images expire after this many days. Defaults to 7. */
  untaggedExpiryDays?: number;
  /** Tagged images kept (newest first). Defaults to 50. */
  keepTaggedImages?: number;
  /** Mark the repository `protect` (it is always retained on delete). Defaults to false. */
  protect?: boolean;
  /** Adopt an existing repository: its name, imported on the next up. Defaults to none. */
  importId?: string;
}

/**
 * One ECR repository: immutable tags (images are tagged with the git sha), scan on push, KMS
 * encryption, lifecycle rules. Access is granted by the identities' policies and narrowed here by
 * `grantAccess` (named pullers and pushers; every other principal denied).
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
      { parent: this, ...dataResourceOptions(protect), import: args.importId },
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
   * Repository policy: pulls only by `access.pull` (and the pushers), pushes only by
   * `access.push`, every other principal explicitly denied both (an allow-only policy would leave
   * any same-account identity with an IAM allow on ECR free to push). A method rather than an
   * argument because those roles' own policies need this repository's ARN first.
   */
  grantAccess(access: RegistryAccess): aws.ecr.RepositoryPolicy {
    return new aws.ecr.RepositoryPolicy(
      `${this.logicalName}-policy`,
      {
        repository: this.repository.name,
        policy: repositoryPolicyDocument(access),
      },
      { parent: this },
    );
  }
}

/** Role ARNs that may use a repository (IAM `ArnLike` patterns: `*` matches within the ARN). */
export interface RegistryAccess {
  /** Roles that may pull (besides the pushers). */
  pull: pulumi.Input<string>[];
  /** Roles that may push (and pull). */
  push: pulumi.Input<string>[];
}

/**
 * The policy document of `grantAccess`. Principals are named by their account and matched on
 * `aws:PrincipalArn` (the role's ARN, also for its sessions: IAM "AWS global condition context
 * keys"), so a role of another stack or account need not exist yet when the policy is set (a
 * Principal naming a missing role is refused as invalid).
 */
export function repositoryPolicyDocument(access: RegistryAccess): pulumi.Output<string> {
  return pulumi.all([pulumi.all(access.pull), pulumi.all(access.push)]).apply(([pull, push]) => {
    const readers = [...new Set([...pull, ...push])].sort();
    const writers = [...new Set(push)].sort();
    const accounts = (arns: string[]) => [
      ...new Set(arns.map((arn) => `arn:aws:iam::${accountOfArn(arn)}:root`)),
    ];
    const statements: PolicyStatement[] = [];
    if (readers.length > 0) {
      statements.push({
        Sid: "PullByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: accounts(readers) },
        Action: ECR_PULL_ACTIONS,
        Condition: { ArnLike: { "aws:PrincipalArn": readers } },
      });
    }
    if (writers.length > 0) {
      statements.push({
        Sid: "PushByNamedRoles",
        Effect: "Allow",
        Principal: { AWS: accounts(writers) },
        Action: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS],
        Condition: { ArnLike: { "aws:PrincipalArn": writers } },
      });
    }
    statements.push(
      {
        Sid: "DenyPushByOthers",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ECR_PUSH_ACTIONS,
        ...(writers.length > 0
          ? { Condition: { ArnNotLike: { "aws:PrincipalArn": writers } } }
          : {}),
      },
      {
        Sid: "DenyPullByOthers",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        ...(readers.length > 0
          ? { Condition: { ArnNotLike: { "aws:PrincipalArn": readers } } }
          : {}),
      },
    );
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
  });
}

/** The account id of an IAM ARN (arn:aws:iam::<account>:role/...). */
export function accountOfArn(arn: string): string {
  const account = arn.split(":")[4];
  if (!/^\d{12}$/.test(account ?? "")) throw new Error(`not an IAM ARN with an account: ${arn}`);
  return account;
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
