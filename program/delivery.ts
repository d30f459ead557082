/**
 * The delivery path of a service's images, computed from the catalog and the stack files alone
 * (pure: the program, the validator and the tests call it): where an environment's image comes
 * from, which role copies it, and which roles may read or write each registry.
 *
 * An image is built once, in the service's first environment (its source), tagged with the commit
 * sha. Every other environment receives it by a reviewed pin in the catalog entry
 * (`images.<environment>`), copied by digest from the source registry by that environment's
 * image-promotion role.
 */
import { stackSelects } from "../catalog/load";
import { ImagePin, ResolvedService, ServiceEntry } from "../catalog/types";
import { ecrRegistryHost, effectiveNames, platformNames } from "../catalog/names";
import { StackSettings } from "../catalog/settings";
import { StackInfo } from "../catalog/stacks";

/** The ARN of a role of an account, by name. */
export function roleArn(accountId: string, roleName: string): string {
  return `arn:aws:iam::${accountId}:role/${roleName}`;
}

/** The ARN of an ECR repository (a `*` in the name makes an IAM pattern). */
export function ecrRepositoryArn(settings: StackSettings, repository: string): string {
  return `arn:aws:ecr:${settings.awsRegion}:${settings.awsAccountId}:repository/${repository}`;
}

export function ecrRepositoryUrl(settings: StackSettings, repository: string): string {
  return `${ecrRegistryHost(settings.awsAccountId, settings.awsRegion)}/${repository}`;
}

/** The image-promotion role of an environment's stack. */
export function promotionRoleArn(settings: StackSettings): string {
  return roleArn(
    settings.awsAccountId,
    platformNames(settings.environment, settings.namePrefix).imagePromotionRole,
  );
}

/** The stack of `environment` that deploys the service (validation guarantees exactly one). */
export function stackOf(
  stacks: readonly StackInfo[],
  environment: string,
  entry: Pick<ServiceEntry, "name" | "team">,
): StackSettings {
  const found = stacks.find(
    (s) => s.settings.environment === environment && stackSelects(s, entry),
  );
  if (!found) throw new Error(`no stack of environment "${environment}" deploys ${entry.name}`);
  return found.settings;
}

/** Where one environment's image of a service comes from. */
export type ImageSource =
  /** No pin: the jobs run the platform's placeholder. */
  | { kind: "placeholder" }
  /** Pinned in the environment that builds the image: its presence is verified, nothing copied. */
  | { kind: "built-here"; pin: ImagePin }
  /** Pinned in another environment: copied by digest from the source registry. */
  | {
      kind: "promoted";
      pin: ImagePin;
      sourceEnvironment: string;
      sourceRepositoryUrl: string;
      sourceRepositoryArn: string;
    };

export function imageSource(
  service: ResolvedService,
  settings: StackSettings,
  stacks: readonly StackInfo[],
): ImageSource {
  const pin = service.images[settings.environment];
  if (!pin) return { kind: "placeholder" };
  if (settings.environment === service.sourceEnvironment) return { kind: "built-here", pin };
  const source = stackOf(stacks, service.sourceEnvironment, service);
  const repository = effectiveNames(
    service.name,
    source.environment,
    source.namePrefix,
    service.adopt?.[source.environment],
  ).ecrRepository;
  return {
    kind: "promoted",
    pin,
    sourceEnvironment: source.environment,
    sourceRepositoryUrl: ecrRepositoryUrl(source, repository),
    sourceRepositoryArn: ecrRepositoryArn(source, repository),
  };
}

/**
 * The promotion roles of the service's other environments: the only principals outside the source
 * environment that may pull its images (from the source registry, to copy them).
 */
export function promotionReaders(
  service: Pick<ServiceEntry, "name" | "team" | "environments">,
  stacks: readonly StackInfo[],
): string[] {
  return service.environments
    .slice(1)
    .map((env) => promotionRoleArn(stackOf(stacks, env, service)))
    .sort();
}

/**
 * Source environments whose images this environment receives, with their stack settings: what its
 * image-promotion role may read. Empty when no service promotes into this environment.
 */
export function promotionSources(
  catalog: readonly ServiceEntry[],
  settings: StackSettings,
  stacks: readonly StackInfo[],
): StackSettings[] {
  const sources = new Map<string, StackSettings>();
  for (const entry of catalog) {
    if (entry.decommissioned) continue;
    const index = entry.environments.indexOf(settings.environment);
    if (index <= 0) continue;
    const source = stackOf(stacks, entry.environments[0], entry);
    sources.set(
      `${source.awsAccountId}/${source.awsRegion}/${source.namePrefix}/${source.environment}`,
      source,
    );
  }
  return [...sources.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
}

/**
 * The session policy of one copy: the promotion role narrowed to reading one source repository and
 * writing one target repository (AWS STS AssumeRole `Policy`: the session's permissions are the
 * intersection of the role's policies and this one).
 */
export function copySessionPolicy(
  sourceRepositoryArn: string,
  targetRepositoryArn: string,
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: "*" },
      {
        Sid: "ReadSource",
        Effect: "Allow",
        Action: [...ECR_READ_ACTIONS],
        Resource: sourceRepositoryArn,
      },
      {
        Sid: "WriteTarget",
        Effect: "Allow",
        Action: [...ECR_READ_ACTIONS, ...ECR_WRITE_ACTIONS],
        Resource: targetRepositoryArn,
      },
    ],
  });
}

/** What a copy reads (the pull actions and DescribeImages, which the copy's checks use). */
export const ECR_READ_ACTIONS = [
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
  "ecr:BatchCheckLayerAvailability",
  "ecr:DescribeImages",
] as const;
/** What a copy writes. */
export const ECR_WRITE_ACTIONS = [
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:PutImage",
] as const;
