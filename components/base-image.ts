import * as aws from "@pulumi/aws";
import * as dockerbuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { ContainerRegistry } from "./container-registry";

/**
 * The build context, relative to the project directory: the engine starts providers in the
 * program's working directory (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go ExecPlugin,
 * `cmd.Dir = pwd`) and docker-build resolves a relative location against it (pulumi-docker-build
 * provider/internal/context.go, `filepath.Abs`). Relative, so that the input, and with it the
 * provider's diff of `context.location`, is the same on every machine that runs `pulumi up`.
 */
export const BASE_IMAGE_CONTEXT = "templates/base-image";

/** The platform Databricks Container Services runs (x86_64 clusters). */
export const BASE_IMAGE_PLATFORM = "linux/amd64";

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
  /** Protect the repository against deletion. Defaults to false (it is retained either way). */
  protect?: boolean;
}

/**
 * Whether the build pushes: only when the repository does not hold the tag yet. Tags are immutable
 * there, so pushing a tag that exists fails the `up`; with a content-addressed tag, a tag that
 * exists already holds this very build context (pushed by an earlier build, or by the
 * `docker.Image` this resource replaced).
 */
export function shouldPush(existingTags: readonly (string | undefined)[], tag: string): boolean {
  return !existingTags.includes(tag);
}

/**
 * The shared training base image (Databricks Container Services compatible), built from
 * templates/base-image and pushed to a platform ECR repository; service Dockerfiles start FROM it.
 */
export class BaseImage extends pulumi.ComponentResource {
  public readonly registry: ContainerRegistry;
  /** Image reference services build on: <repository url>:<content tag>. */
  public readonly imageRef: pulumi.Output<string>;
  /**
   * Digest of the image this stack pushed (unset when the build is off; empty when the tag was
   * already in the repository and this stack only built it).
   */
  public readonly digest?: pulumi.Output<string>;

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
      const repository = this.registry.repository;
      // Login for the push (the docker-build docs' "Push to AWS ECR" example).
      const token = aws.ecr.getAuthorizationTokenOutput(
        { registryId: repository.registryId },
        { parent: this },
      );
      // The tags the repository holds (ECR ListImages: @pulumi/aws 7.48.0 ecr/getImages.d.ts).
      // registryId is unknown until a new repository exists: the look-up waits for it.
      const existing = aws.ecr.getImagesOutput(
        { repositoryName: repository.name, registryId: repository.registryId },
        { parent: this },
      );
      // Inputs per @pulumi/docker-build 0.0.22 image.d.ts (ImageArgs) and the pulumi-docker-build
      // docs (https://www.pulumi.com/registry/packages/docker-build/api-docs/image/).
      const image = new dockerbuild.Image(
        name,
        {
          context: { location: BASE_IMAGE_CONTEXT },
          dockerfile: { location: `${BASE_IMAGE_CONTEXT}/Dockerfile` },
          platforms: [BASE_IMAGE_PLATFORM],
          tags: [this.imageRef],
          // Pushing a tag the immutable repository holds would fail the `up`: push only a new
          // one. After a push the next `up` sees the tag and turns push off, which the provider
          // handles as an update (a build without a push; pulumi-docker-build
          // provider/internal/image.go Update calls Create), never as a second push.
          push: existing.imageIds.apply((ids) =>
            shouldPush(
              ids.map((id) => id.imageTag),
              args.tag,
            ),
          ),
          // The former docker.Image did not build during previews; neither does this one, so a
          // preview needs no Docker engine (image.d.ts, "Previews").
          buildOnPreview: false,
          registries: [
            {
              address: this.registry.repositoryUrl,
              username: token.userName,
              // A new token every 12 hours: the provider's diff ignores password changes
              // (pulumi-docker-build provider/internal/image.go Diff), so it triggers no build.
              password: pulumi.secret(token.password),
            },
          ],
        },
        // docker-build deletes the tags it pushed when the resource is deleted (image.d.ts,
        // "Tag deletion and refreshes"); services build FROM this tag, so it stays.
        { parent: this, retainOnDelete: true },
      );
      this.digest = image.digest;
    }
    this.registerOutputs({ imageRef: this.imageRef, digest: this.digest });
  }
}
