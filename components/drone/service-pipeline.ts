import * as pulumi from "@pulumi/pulumi";
import { DroneConnectionArgs, DroneRepository } from "./drone-repository";
import { DroneRepositorySecrets } from "./drone-repository-secrets";
import { DRONE_REPOSITORY_DEFAULTS, DroneRepositorySettings } from "./validation";

/**
 * Every Drone setting of a service repository, set explicitly so that a plan shows each one as an
 * input of the service's DroneRepository (none left to a default inside the provider). They are
 * the provider's defaults; the reason for each stands beside DRONE_REPOSITORY_DEFAULTS.
 */
export const SERVICE_REPOSITORY_SETTINGS: Readonly<DroneRepositorySettings> =
  DRONE_REPOSITORY_DEFAULTS;

/** Settings a service may change; `protected` is not one of them (see SERVICE_REPOSITORY_SETTINGS). */
export type DroneServiceRepositorySettings = Partial<
  Omit<DroneRepositorySettings, "protected" | "trusted">
>;

export interface DroneServicePipelineArgs extends DroneConnectionArgs {
  /** GitHub organisation that owns the service repository (the stack's githubOrganization). */
  owner: pulumi.Input<string>;
  /** The service repository's name. */
  repositoryName: pulumi.Input<string>;
  /** Repository settings that differ from SERVICE_REPOSITORY_SETTINGS. */
  settings?: DroneServiceRepositorySettings;
  /** Every pipeline secret, Drone secret name -> value; all kept secret, none for pull requests. */
  secrets: Record<string, pulumi.Input<string>>;
}

/**
 * One service's CI in Drone: its repository activated with the platform's settings (every one of
 * them an explicit input), and every secret its pipeline reads, none of them handed to
 * pull-request builds. Push builds of any branch get them all (docs/drone.md, "Who can use a
 * service's secrets").
 */
export class DroneServicePipeline extends pulumi.ComponentResource {
  public readonly repository: DroneRepository;
  /** Every pipeline secret, in one resource (see DroneRepositorySecrets). */
  public readonly secrets: DroneRepositorySecrets;
  /** "owner/name" of the activated repository. */
  public readonly slug: pulumi.Output<string>;

  constructor(
    name: string,
    args: DroneServicePipelineArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:drone:ServicePipeline", name, {}, opts);
    const { server, token, owner, repositoryName, settings, secrets } = args;
    this.repository = new DroneRepository(
      `${name}-repository`,
      {
        ...SERVICE_REPOSITORY_SETTINGS,
        ...settings,
        // Never from `settings`, whatever a caller passes around the type.
        protected: SERVICE_REPOSITORY_SETTINGS.protected,
        trusted: SERVICE_REPOSITORY_SETTINGS.trusted,
        server,
        token,
        owner,
        name: repositoryName,
      },
      { parent: this },
    );
    const slug = pulumi.all([owner, repositoryName]).apply(([o, n]) => `${o}/${n}`);
    this.secrets = new DroneRepositorySecrets(
      `${name}-secrets`,
      {
        server,
        token,
        repository: slug,
        secrets: Object.fromEntries(
          Object.entries(secrets).map(([secretName, value]) => [
            secretName,
            { value, pullRequest: false, pullRequestPush: false },
          ]),
        ),
      },
      // Secrets of a repository Drone has not activated (or even synced) would be refused.
      { parent: this, dependsOn: [this.repository] },
    );
    this.slug = slug;
    this.registerOutputs({ slug: this.slug });
  }
}
