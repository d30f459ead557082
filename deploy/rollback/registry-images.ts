/**
 * Whether an image is still in an environment's ECR repository, asked through the AWS CLI (the
 * tool the image copy already needs on the platform engineers' machines, docs/image-promotion.md),
 * with the credentials of whoever runs `npm run rollback`. Thin on purpose: the rollback tests
 * replace it with a stand-in (`RegistryImages`), and tests/rollback/registry-images.test.ts runs
 * it against a fake `aws` on PATH.
 *
 * `aws ecr describe-images --registry-id <account> --repository-name <repo>
 *  --image-ids imageDigest=<digest> --region <region> --output json`
 * AWS CLI Command Reference, ecr describe-images:
 * https://awscli.amazonaws.com/v2/documentation/api/latest/reference/ecr/describe-images.html
 * (output `{"imageDetails": [{"registryId", "repositoryName", "imageDigest", "imageTags": [...]}]}`;
 * an image that is not there fails with `ImageNotFoundException`, a missing repository with
 * `RepositoryNotFoundException`: ECR API reference, DescribeImages, "Errors",
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html).
 */
import { execFile } from "child_process";

export interface ImageQuery {
  /** AWS account of the registry (the stack's awsAccountId). */
  registryId: string;
  /** Repository name, e.g. mlp/product-recommender-prod. */
  repository: string;
  /** sha256:<64 hex>. */
  digest: string;
  region: string;
}

export type ImageLookup = { found: true; tags: string[] } | { found: false; reason: string };

export interface RegistryImages {
  /** Resolves found/not found; rejects when the registry could not be asked (the reason). */
  lookup(query: ImageQuery): Promise<ImageLookup>;
}

/** The AWS CLI's arguments for one lookup (exported for the tests). */
export function describeImagesArgs(q: ImageQuery): string[] {
  return [
    "ecr",
    "describe-images",
    "--registry-id",
    q.registryId,
    "--repository-name",
    q.repository,
    "--image-ids",
    `imageDigest=${q.digest}`,
    "--region",
    q.region,
    "--output",
    "json",
  ];
}

export function awsCliRegistryImages(
  options: { command?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RegistryImages {
  const command = options.command ?? "aws";
  return {
    lookup(q) {
      return new Promise((resolve, reject) => {
        execFile(
          command,
          describeImagesArgs(q),
          { env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000 },
          (error, stdout, stderr) => {
            if (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === "ENOENT") {
                reject(new Error(`the AWS CLI (${command}) is not installed or not on PATH`));
                return;
              }
              const text = String(stderr);
              if (text.includes("ImageNotFoundException")) {
                resolve({ found: false, reason: `no image ${q.digest} in ${q.repository}` });
                return;
              }
              if (text.includes("RepositoryNotFoundException")) {
                resolve({ found: false, reason: `no repository ${q.repository}` });
                return;
              }
              const first = text.trim().split("\n").filter(Boolean).pop() ?? error.message;
              reject(new Error(`aws ecr describe-images failed: ${first}`));
              return;
            }
            try {
              const parsed = JSON.parse(String(stdout)) as {
                imageDetails?: { imageDigest?: string; imageTags?: string[] }[];
              };
              const detail = (parsed.imageDetails ?? []).find((d) => d.imageDigest === q.digest);
              resolve(
                detail
                  ? { found: true, tags: detail.imageTags ?? [] }
                  : { found: false, reason: `no image ${q.digest} in ${q.repository}` },
              );
            } catch {
              reject(new Error("aws ecr describe-images printed something that is not JSON"));
            }
          },
        );
      });
    },
  };
}
