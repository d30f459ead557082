import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

/** The script that copies (or verifies) one image, relative to the project root. */
export const COPY_IMAGE_SCRIPT_PATH = "components/image-promotion/copy-image.sh";

/** A full git commit sha: the image's tag in every environment. */
export const GIT_SHA_PATTERN = /^[0-9a-f]{40}$/;
/** An image manifest digest as ECR reports it. */
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;

/** What a catalog entry pins for one environment: which commit's image, by digest. */
export interface ImagePin {
  gitSha: string;
  digest: string;
}

function shown(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}

/**
 * Checks one environment's pin `{ gitSha, digest }` and returns it typed. Throws a message that
 * starts with `where` and the field, and names the allowed form. Pure: usable by the catalog
 * validation as well as by the component.
 */
export function validateImagePin(pin: unknown, where: string): ImagePin {
  if (typeof pin !== "object" || pin === null || Array.isArray(pin)) {
    throw new Error(
      `${where}: must be a mapping with gitSha (40 lowercase hex characters) and digest (sha256: followed by 64 lowercase hex characters), got ${shown(pin)}`,
    );
  }
  const fields = pin as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== "gitSha" && key !== "digest") {
      throw new Error(`${where}.${key}: unknown field (allowed: gitSha, digest)`);
    }
  }
  const { gitSha, digest } = fields;
  if (typeof gitSha !== "string" || !GIT_SHA_PATTERN.test(gitSha)) {
    throw new Error(
      `${where}.gitSha: must be a full git commit sha, 40 lowercase hex characters, got ${shown(gitSha)}`,
    );
  }
  if (typeof digest !== "string" || !DIGEST_PATTERN.test(digest)) {
    throw new Error(
      `${where}.digest: must be an image digest, sha256: followed by 64 lowercase hex characters, got ${shown(digest)}`,
    );
  }
  return { gitSha, digest };
}

/**
 * Where this process reads the copy script: `scriptPath` under `projectRoot`. Throws a message
 * naming the field when `scriptPath` is absolute or leaves the project, or the file is missing.
 */
export function scriptFile(
  name: string,
  args: Pick<ImageCopyArgs, "scriptPath" | "projectRoot">,
): string {
  const { scriptPath, projectRoot } = args;
  if (!path.isAbsolute(projectRoot)) {
    throw new Error(
      `ImageCopy ${name}.projectRoot: must be an absolute path, got ${shown(projectRoot)}`,
    );
  }
  const normal = path.posix.normalize(scriptPath ?? "");
  if (!scriptPath || path.isAbsolute(scriptPath) || normal.startsWith("../") || normal === "..") {
    throw new Error(
      `ImageCopy ${name}.scriptPath: must be a path relative to projectRoot, inside it, got ${shown(scriptPath)}`,
    );
  }
  const file = path.join(projectRoot, scriptPath);
  if (!fs.existsSync(file)) {
    throw new Error(`ImageCopy ${name}.scriptPath: no file ${file}`);
  }
  return file;
}

export interface ImageCopyArgs {
  /** Repository URL the image is copied from (no tag), e.g. the dev environment's ECR repository. */
  sourceRepositoryUrl: pulumi.Input<string>;
  /**
   * Repository URL the image is copied to (no tag). Equal to `sourceRepositoryUrl` in the
   * environment that builds images: then the command only verifies the tag.
   */
  targetRepositoryUrl: pulumi.Input<string>;
  /** Commit whose image is promoted: the tag it gets in the target (40 lowercase hex). */
  gitSha: string;
  /** Pinned manifest digest (`sha256:<64 hex>`); the copy keeps it, and checks it. */
  digest: string;
  /**
   * IAM role assumed for the copy. Defaults to none: the credentials of the process running
   * `pulumi up` are used as they are.
   */
  roleArn?: pulumi.Input<string>;
  /** Inline session policy (JSON) narrowing `roleArn` for the copy. Defaults to none. */
  sessionPolicy?: pulumi.Input<string>;
  /** AWS region of STS and of any registry whose host does not name its region. */
  region: string;
  /**
   * The copy script (COPY_IMAGE_SCRIPT_PATH), relative to `projectRoot`: what the command runs,
   * from the working directory of `pulumi up`.
   */
  scriptPath: string;
  /** Absolute path of the project (where `pulumi up` runs): the script is read there for its hash. */
  projectRoot: string;
}

/**
 * Promotes one image by digest: `<source>@<digest>` becomes `<target>:<gitSha>` (ECR tags are
 * immutable, so the tag, once there, is that image for good). One `command.local.Command` runs
 * copy-image.sh on create and on update; a new pin (sha or digest) or another repository changes
 * its triggers, so it copies again. Idempotent: an image already present is left alone. Nothing
 * runs on delete: a copied image is data, never deleted by the platform (the repository's
 * lifecycle policy ages images out). See docs/image-promotion.md.
 */
export class ImageCopy extends pulumi.ComponentResource {
  /** The command that copies (or verifies) the image. */
  public readonly command: command.local.Command;
  /** `<targetRepositoryUrl>:<gitSha>`, known once the command has run: what the jobs run. */
  public readonly imageRef: pulumi.Output<string>;
  /** The pinned digest, once the command has verified the target has it. */
  public readonly digest: pulumi.Output<string>;

  constructor(name: string, args: ImageCopyArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("mlplatform:aws:ImageCopy", name, {}, opts);
    const { gitSha, digest } = validateImagePin(
      { gitSha: args.gitSha, digest: args.digest },
      `ImageCopy ${name}`,
    );
    if (!REGION_PATTERN.test(args.region)) {
      throw new Error(
        `ImageCopy ${name}.region: must be an AWS region such as eu-west-1, got ${shown(args.region)}`,
      );
    }

    // Values only: no secret goes into the environment (credentials come from the process running
    // `pulumi up`, or from assuming `roleArn` inside the script).
    const environment: Record<string, pulumi.Input<string>> = {
      SOURCE: args.sourceRepositoryUrl,
      TARGET: args.targetRepositoryUrl,
      GIT_SHA: gitSha,
      DIGEST: digest,
      REGION: args.region,
    };
    if (args.roleArn !== undefined) environment.ROLE_ARN = args.roleArn;
    if (args.sessionPolicy !== undefined) environment.SESSION_POLICY = args.sessionPolicy;

    // The script by its path relative to the project (the working directory of `pulumi up`, which
    // is also the command's default `dir`), not its text: the state keeps a few bytes instead of
    // the whole script twice, and does not depend on where the repository is checked out. Its
    // hash is a trigger, so an edited script shows in the preview and runs again (harmlessly:
    // the script is idempotent).
    const run = `bash ${args.scriptPath}`;
    const scriptHash = createHash("sha256")
      .update(fs.readFileSync(scriptFile(name, args)))
      .digest("hex")
      .slice(0, 16);
    this.command = new command.local.Command(
      name,
      {
        // "The program and arguments to run the command" (local.Command `interpreter`; default
        // /bin/sh -c): the script is bash.
        interpreter: ["bash", "-c"],
        // "The command to run once on resource creation" (`create`) and "when the resource is
        // updated" (`update`): the same idempotent script.
        create: run,
        update: run,
        // "Additional environment variables available to the command's process" (`environment`).
        environment,
        // "The resource will be updated (or replaced) if any of these values change ... If the
        // `update` command was provided the resource will be updated" (`triggers`).
        triggers: [args.sourceRepositoryUrl, args.targetRepositoryUrl, gitSha, digest, scriptHash],
        // The previous run's output is of no use to the script (`addPreviousOutputInEnv`).
        addPreviousOutputInEnv: false,
        // No `delete`: "The command to run on resource deletion" is left unset on purpose.
      },
      { parent: this },
    );

    this.imageRef = pulumi
      .all([this.command.stdout, args.targetRepositoryUrl])
      .apply(([, target]) => `${target}:${gitSha}`);
    this.digest = this.command.stdout.apply(() => digest);
    this.registerOutputs({ imageRef: this.imageRef, digest: this.digest });
  }
}
