import * as pulumi from "@pulumi/pulumi";
import { PIPELINE_SECRETS, PipelineSecretKey } from "../../lib/pipeline-secrets";
import { DroneConnectionArgs, DroneRepository, DroneRepositoryArgs } from "./drone-repository";
import { DroneRepositorySecrets } from "./drone-repository-secrets";

export interface DroneServicePipelineArgs extends DroneConnectionArgs {
  /** GitHub organisation that owns the service repository (the stack's githubOrganization). */
  owner: pulumi.Input<string>;
  /** The service repository's name. */
  repositoryName: pulumi.Input<string>;
  /** Repository settings; each unset one takes DroneRepository's default. */
  settings?: Omit<DroneRepositoryArgs, "server" | "token" | "owner" | "name">;
  /** The value of every pipeline secret (lib/pipeline-secrets.ts); all kept secret. */
  secrets: Record<PipelineSecretKey, pulumi.Input<string>>;
}

/**
 * One service's CI in Drone: its repository activated with the platform's settings, and every
 * secret its pipeline reads, none of them exposed to pull-request builds.
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
      { ...settings, server, token, owner, name: repositoryName },
      { parent: this },
    );
    const slug = pulumi.all([owner, repositoryName]).apply(([o, n]) => `${o}/${n}`);
    const keys = Object.keys(PIPELINE_SECRETS) as PipelineSecretKey[];
    this.secrets = new DroneRepositorySecrets(
      `${name}-secrets`,
      {
        server,
        token,
        repository: slug,
        secrets: Object.fromEntries(
          keys.map((key) => [
            PIPELINE_SECRETS[key].name,
            { value: secrets[key], pullRequest: false, pullRequestPush: false },
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
