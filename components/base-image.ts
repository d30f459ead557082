import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { ContainerRegistry } from "./container-registry";

export const BASE_IMAGE_CONTEXT = path.join(__dirname, "..", "templates", "base-image");

export interface BaseImageArgs {
  /** ECR repository name of the platform's base image. */
  repositoryName: string;
  /** Content-addressed tag (from the Dockerfile's hash): immutable, and known before the build. */
  tag: string;
  /** Build and push with Docker; false declares the repository only (no Docker engine needed). */
  build: boolean;
  /** Roles that may pull it (ArnLike patterns: the services' CI and cluster roles). */
  pullRoles: string[];
  /** The only role that may push it: the platform's deploy role. */
  pushRole: string;
  tags: Record<string, string>;
  protect?: boolean;
}

/**
 * The shared training base image (Databricks Container Services compatible), built from
 * templates/base-image and pushed to a platform ECR repository; service Dockerfiles start FROM it.
 */
export class BaseImage extends pulumi.ComponentResource {
  public readonly registry: ContainerRegistry;
  /** Image reference services build on: <repository url>:<content tag>. */
  public readonly imageRef: pulumi.Output<string>;
  /** Digest of the pushed image (unset when the build is off). */
  public readonly repoDigest?: pulumi.Output<string>;

  constructor(name: string, args: BaseImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:platform:BaseImage", name, {}, opts);
    this.registry = new ContainerRegistry(
      `${name}-registry`,
      {
        repositoryName: args.repositoryName,
        tags: args.tags,
        keepTaggedImages: 20,
        protect: args.protect,
      },
      { parent: this },
    );
    this.registry.grantAccess({ pull: args.pullRoles, push: [args.pushRole] });
    this.imageRef = pulumi.interpolate`${this.registry.repositoryUrl}:${args.tag}`;
    if (args.build) {
      const token = aws.ecr.getAuthorizationTokenOutput(
        { registryId: this.registry.repository.registryId },
        { parent: this },
      );
      const image = new docker.Image(
        name,
        {
          imageName: this.imageRef,
          build: {
            context: BASE_IMAGE_CONTEXT,
            dockerfile: path.join(BASE_IMAGE_CONTEXT, "Dockerfile"),
            platform: "linux/amd64",
          },
          registry: {
            server: this.registry.repositoryUrl,
            username: token.userName,
            password: pulumi.secret(token.password),
          },
        },
        { parent: this },
      );
      this.repoDigest = image.repoDigest;
    }
    this.registerOutputs({ imageRef: this.imageRef, repoDigest: this.repoDigest });
  }
}
