import * as pulumi from "@pulumi/pulumi";
import { PackagedDynamicResource } from "../dynamic-providers";
import { refuseWhenDeclared } from "./declared";
import { DroneConnectionArgs } from "./drone-repository";
import { resolveSecretSetInputs, SECRET_SET_OUTPUTS } from "./secret-set-provider";

/** One secret of a DroneRepositorySecrets. */
export interface DroneSecretEntryArgs {
  /** The secret value, not empty; kept secret in the state, and never returned by Drone. */
  value: pulumi.Input<string>;
  /**
   * Hand the secret to pull-request builds too. Defaults to false. Whatever it says, push builds
   * of every branch get the secret: Drone's only filter withholds it from `pull_request` builds.
   */
  pullRequest?: boolean;
  /** Stored by Drone's API and read by nothing in Drone: it has no effect. Defaults to false. */
  pullRequestPush?: boolean;
}

export interface DroneRepositorySecretsArgs extends DroneConnectionArgs {
  /** "owner/name" of the repository that holds the secrets. */
  repository: pulumi.Input<string>;
  /** Secret name pipelines reference (`from_secret`) -> value and flags. */
  secrets: Record<string, DroneSecretEntryArgs>;
}

/**
 * Every secret of one repository's pipeline, as one resource: created or updated each, only the
 * changed ones rewritten, names no longer declared deleted. Values and token are Pulumi secrets;
 * the state keeps a salted HMAC per value (secret too) to notice a changed value.
 */
export class DroneRepositorySecrets extends PackagedDynamicResource {
  declare public readonly server: pulumi.Output<string>;
  declare public readonly repository: pulumi.Output<string>;
  /** The secret names, sorted. */
  declare public readonly names: pulumi.Output<string[]>;

  constructor(
    name: string,
    args: DroneRepositorySecretsArgs,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    // Names and flags are plain: checked now, so a mistake names this resource before anything runs.
    const { problems } = resolveSecretSetInputs({
      server: pulumi.Output.isInstance(args.server) ? "https://drone.invalid" : args.server,
      token: "-",
      repository: pulumi.Output.isInstance(args.repository) ? "owner/name" : args.repository,
      exposure: args.secrets,
      values: Object.fromEntries(Object.keys(args.secrets).map((k) => [k, "-"])),
    });
    refuseWhenDeclared(`DroneRepositorySecrets ${name}`, problems);
    super(
      // The implementation is the installed package's; the state keeps one line (../dynamic-providers.ts).
      "droneSecretSet",
      name,
      {
        server: args.server,
        token: pulumi.secret(args.token),
        repository: args.repository,
        // Names and flags in the open (plans and diffs show that none goes to pull-request
        // builds), values secret.
        exposure: Object.fromEntries(
          Object.entries(args.secrets).map(([key, entry]) => [
            key,
            {
              pullRequest: entry.pullRequest ?? false,
              pullRequestPush: entry.pullRequestPush ?? false,
            },
          ]),
        ),
        values: pulumi.secret(
          pulumi.all(
            Object.fromEntries(Object.entries(args.secrets).map(([key, e]) => [key, e.value])),
          ),
        ),
        names: undefined,
        hashSalt: undefined,
      },
      // Delete before create on a replacement: a forced replacement keeps the names, and
      // create-then-delete would remove what it just created.
      pulumi.mergeOptions(pulumi.mergeOptions({ deleteBeforeReplace: true }, opts), {
        additionalSecretOutputs: SECRET_SET_OUTPUTS,
      }),
    );
  }
}
