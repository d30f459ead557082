import * as aws from "@pulumi/aws";
import * as databricks from "@pulumi/databricks";
import * as pulumi from "@pulumi/pulumi";
import { ECR_PULL_ACTIONS, ECR_PUSH_ACTIONS } from "./container-registry";
import { policyDocumentOutput } from "./iam-documents";

export interface CiIdentityArgs {
  /** IAM role name of the CI identity. */
  roleName: string;
  /** The Drone runners' own role: the only principal that may assume the CI role. */
  droneRunnerRoleArn: pulumi.Input<string>;
}

export interface ServiceIdentitiesArgs {
  /**
   * The CI identity, only in the environment that builds the service's images (its first). Other
   * environments, production above all, have none: their images arrive by a reviewed pin.
   * Defaults to none.
   */
  ci?: CiIdentityArgs;
  /** IAM role (and instance profile) name of the Databricks job clusters. */
  clusterRoleName: string;
  /** Display name of the service's Databricks service principal. */
  servicePrincipalName: string;
  /** The service's ECR repository. */
  ecrRepositoryArn: pulumi.Input<string>;
  /** The platform base image's ECR repository: service images build FROM it, placeholders run it. */
  baseImageRepositoryArn: pulumi.Input<string>;
  /** The service's artifacts bucket. */
  artifactsBucketArn: pulumi.Input<string>;
  /** The service's predictions bucket. */
  predictionsBucketArn: pulumi.Input<string>;
  /** Lifetime of the service principal's OAuth secret, in days. Defaults to 90. */
  secretLifetimeDays?: number;
  /**
   * A value that changes once per rotation period (see `secretRotationPeriod`): when it changes,
   * the secret is replaced. Defaults to the period of the current time.
   */
  secretRotation?: string;
  /** Prefix inside the artifacts bucket the CI identity may read and write. Defaults to "ci/". */
  ciPrefix?: string;
  tags: Record<string, string>;
}

/**
 * The service's identities; none is a long-lived key held by a person:
 * - a CI role, assumable only by the Drone runners' role: push this service's images, read/write
 *   its artifacts bucket's CI prefix;
 * - a cluster role with instance profile (registered in Databricks): pull this service's images,
 *   read/write this service's buckets;
 * - a Databricks service principal with an OAuth secret, which the jobs' permissions let run only
 *   this service's jobs.
 */
export class ServiceIdentities extends pulumi.ComponentResource {
  /** Only where `ci` was given. */
  public readonly ciRole?: aws.iam.Role;
  public readonly clusterRole: aws.iam.Role;
  public readonly instanceProfile: aws.iam.InstanceProfile;
  public readonly databricksInstanceProfile: databricks.InstanceProfile;
  public readonly servicePrincipal: databricks.ServicePrincipal;
  /** OAuth client id (application id) of the service principal. */
  public readonly servicePrincipalClientId: pulumi.Output<string>;
  /** OAuth secret of the service principal (a Pulumi secret). */
  public readonly servicePrincipalSecret: pulumi.Output<string>;

  constructor(
    name: string,
    args: ServiceIdentitiesArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:identity:ServiceIdentities", name, {}, opts);
    const { ciPrefix = "ci/", tags, secretLifetimeDays = 90 } = args;
    const secretRotation = args.secretRotation ?? secretRotationPeriod(secretLifetimeDays);
    const child = { parent: this };

    if (args.ci) {
      this.ciRole = new aws.iam.Role(
        `${name}-ci`,
        {
          name: args.ci.roleName,
          description: "CI pipeline of one ML service: push its images, write its CI artifacts.",
          maxSessionDuration: 3600,
          assumeRolePolicy: policyDocumentOutput([
            {
              Sid: "DroneRunnerOnly",
              Effect: "Allow",
              Principal: { AWS: args.ci.droneRunnerRoleArn },
              Action: ["sts:AssumeRole"],
            },
          ]),
          tags,
        },
        child,
      );
      new aws.iam.RolePolicy(
        `${name}-ci`,
        {
          role: this.ciRole.id,
          policy: policyDocumentOutput([
            // GetAuthorizationToken is account-wide by design: AWS does not scope it to a repository.
            {
              Sid: "EcrLogin",
              Effect: "Allow",
              Action: ["ecr:GetAuthorizationToken"],
              Resource: "*",
            },
            {
              Sid: "PushServiceImages",
              Effect: "Allow",
              // DescribeImages: the pipeline reads the digest of the image it pushed.
              Action: [...ECR_PULL_ACTIONS, ...ECR_PUSH_ACTIONS, "ecr:DescribeImages"],
              Resource: args.ecrRepositoryArn,
            },
            {
              // The service Dockerfile builds FROM the platform base image.
              Sid: "PullBaseImage",
              Effect: "Allow",
              Action: ECR_PULL_ACTIONS,
              Resource: args.baseImageRepositoryArn,
            },
            {
              Sid: "ListCiPrefix",
              Effect: "Allow",
              Action: ["s3:ListBucket"],
              Resource: args.artifactsBucketArn,
              Condition: { StringLike: { "s3:prefix": [`${ciPrefix}*`] } },
            },
            {
              Sid: "ReadWriteCiPrefix",
              Effect: "Allow",
              Action: ["s3:GetObject", "s3:PutObject"],
              Resource: pulumi.interpolate`${args.artifactsBucketArn}/${ciPrefix}*`,
            },
          ]),
        },
        child,
      );
    }

    this.clusterRole = new aws.iam.Role(
      `${name}-cluster`,
      {
        name: args.clusterRoleName,
        description: "Databricks job clusters of one ML service: pull its images, use its buckets.",
        assumeRolePolicy: policyDocumentOutput([
          {
            Sid: "Ec2Instances",
            Effect: "Allow",
            Principal: { Service: "ec2.amazonaws.com" },
            Action: ["sts:AssumeRole"],
          },
        ]),
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-cluster`,
      {
        role: this.clusterRole.id,
        policy: policyDocumentOutput([
          {
            Sid: "EcrLogin",
            Effect: "Allow",
            Action: ["ecr:GetAuthorizationToken"],
            Resource: "*",
          },
          {
            Sid: "PullServiceImages",
            Effect: "Allow",
            Action: ECR_PULL_ACTIONS,
            Resource: args.ecrRepositoryArn,
          },
          {
            // The jobs run the base image's placeholder until an image is promoted.
            Sid: "PullBaseImage",
            Effect: "Allow",
            Action: ECR_PULL_ACTIONS,
            Resource: args.baseImageRepositoryArn,
          },
          {
            Sid: "ListServiceBuckets",
            Effect: "Allow",
            Action: ["s3:ListBucket", "s3:GetBucketLocation"],
            Resource: [args.artifactsBucketArn, args.predictionsBucketArn],
          },
          {
            Sid: "ReadWriteServiceObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            Resource: [
              pulumi.interpolate`${args.artifactsBucketArn}/*`,
              pulumi.interpolate`${args.predictionsBucketArn}/*`,
            ],
          },
        ]),
      },
      child,
    );
    this.instanceProfile = new aws.iam.InstanceProfile(
      `${name}-cluster`,
      { name: args.clusterRoleName, role: this.clusterRole.name, tags },
      child,
    );
    this.databricksInstanceProfile = new databricks.InstanceProfile(
      `${name}-cluster`,
      {
        instanceProfileArn: this.instanceProfile.arn,
        iamRoleArn: this.clusterRole.arn,
        // Databricks validates a new profile with a dry-run launch, which fails while IAM has not
        // yet propagated the role created a moment before (terraform-provider-databricks #779,
        // #1226). The first job run shows a wrong profile instead.
        skipValidation: true,
      },
      child,
    );

    this.servicePrincipal = new databricks.ServicePrincipal(
      `${name}-ci`,
      {
        displayName: args.servicePrincipalName,
        allowClusterCreate: false,
        allowInstancePoolCreate: false,
        databricksSqlAccess: false,
        workspaceAccess: false,
      },
      child,
    );
    // A secret that expires silently breaks the jobs and the pipeline: it gets an explicit
    // lifetime ("NNNNs"; the provider's default is 730 days) and is replaced by the first up of
    // each new rotation period, half a lifetime long, so it never expires while deployments run.
    // Create-before-replace: the secret scope and the Drone secrets take the new value before the
    // old one is deleted.
    const secret = new databricks.ServicePrincipalSecret(
      `${name}-ci`,
      { servicePrincipalId: this.servicePrincipal.id, lifetime: `${secretLifetimeDays * 86_400}s` },
      {
        parent: this,
        additionalSecretOutputs: ["secret"],
        replacementTrigger: secretRotation,
      },
    );
    // Without this grant the principal the jobs run as may not launch clusters with the instance
    // profile (databricks_service_principal_role; databricks-sdk-py#320).
    new databricks.ServicePrincipalRole(
      `${name}-instance-profile`,
      { servicePrincipalId: this.servicePrincipal.id, role: this.databricksInstanceProfile.id },
      child,
    );
    this.servicePrincipalClientId = this.servicePrincipal.applicationId;
    this.servicePrincipalSecret = pulumi.secret(secret.secret);

    this.registerOutputs({
      ciRoleArn: this.ciRole?.arn,
      clusterRoleArn: this.clusterRole.arn,
      instanceProfileArn: this.instanceProfile.arn,
      servicePrincipalClientId: this.servicePrincipalClientId,
    });
  }
}

/**
 * The rotation period a moment falls in: periods are half a secret's lifetime long, numbered
 * from the Unix epoch, so every stack agrees on them and a plan is stable within one.
 */
export function secretRotationPeriod(lifetimeDays: number, now: number = Date.now()): string {
  const periodMs = (lifetimeDays / 2) * 86_400_000;
  return `rotation-${lifetimeDays}d-${Math.floor(now / periodMs)}`;
}
