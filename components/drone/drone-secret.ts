import * as pulumi from "@pulumi/pulumi";
import { PackagedDynamicResource } from "../dynamic-providers";
import { refuseWhenDeclared } from "./declared";
import { DroneConnectionArgs } from "./drone-repository";
import { resolveSecretInputs, SECRET_OUTPUTS } from "./secret-provider";

export interface DroneSecretArgs extends DroneConnectionArgs {
  /** "owner/name" of the repository that holds the secret; unset for an organisation secret. */
  repository?: pulumi.Input<string>;
  /** Organisation that holds the secret, when `repository` is unset. */
  namespace?: pulumi.Input<string>;
  /** Secret name pipelines reference (`from_secret`): letters, digits, "-", "_", ".". */
  name: string;
  /** The secret value, not empty; kept secret in the state, and never returned by Drone. */
  value: pulumi.Input<string>;
  /**
   * Hand the secret to pull-request builds too. Defaults to false. Whatever it says, push builds
   * of every branch get the secret: Drone's only filter withholds it from `pull_request` builds.
   */
  pullRequest?: pulumi.Input<boolean>;
  /** Stored by Drone's API and read by nothing in Drone: it has no effect. Defaults to false. */
  pullRequestPush?: pulumi.Input<boolean>;
}

/**
 * A Drone secret: a repository secret when `repository` is set, an organisation secret in
 * `namespace` otherwise. Create is create-or-update. The value and token are Pulumi secrets; the
 * state keeps a salted HMAC of the value (also secret) to notice a changed value.
 */
export class DroneSecret extends PackagedDynamicResource {
  declare public readonly server: pulumi.Output<string>;
  declare public readonly repository: pulumi.Output<string | undefined>;
  declare public readonly namespace: pulumi.Output<string | undefined>;
  declare public readonly name: pulumi.Output<string>;
  declare public readonly pullRequest: pulumi.Output<boolean>;
  declare public readonly pullRequestPush: pulumi.Output<boolean>;
  /** HMAC-SHA256 of the value under a per-resource random key; secret. */
  declare public readonly valueHash: pulumi.Output<string>;

  constructor(name: string, args: DroneSecretArgs, opts: pulumi.CustomResourceOptions = {}) {
    // Plain values are checked now, so a mistake names this resource before anything runs.
    const plain: Record<string, unknown> = Object.fromEntries(
      Object.entries(args).filter(([k, v]) => k !== "token" && !pulumi.Output.isInstance(v)),
    );
    // Presence (not the value) decides the target, also for values known only later.
    const target = {
      repository: args.repository === undefined ? undefined : (plain.repository ?? "owner/name"),
      namespace: args.namespace === undefined ? undefined : (plain.namespace ?? "namespace"),
    };
    const { problems } = resolveSecretInputs({
      ...plain,
      ...target,
      server: plain.server ?? "https://drone.invalid",
      token: "-",
      value: "-",
    });
    refuseWhenDeclared(`DroneSecret ${name}`, problems);
    super(
      // The implementation is the installed package's; the state keeps one line (../dynamic-providers.ts).
      "droneSecret",
      name,
      {
        server: args.server,
        token: pulumi.secret(args.token),
        repository: args.repository,
        namespace: args.namespace,
        name: args.name,
        value: pulumi.secret(args.value),
        pullRequest: args.pullRequest ?? false,
        pullRequestPush: args.pullRequestPush ?? false,
        valueHash: undefined,
        hashSalt: undefined,
      },
      // Delete before create on a replacement: a forced replacement (`pulumi up --replace`) keeps
      // the identity, and create-then-delete would remove what it just created.
      pulumi.mergeOptions(pulumi.mergeOptions({ deleteBeforeReplace: true }, opts), {
        additionalSecretOutputs: SECRET_OUTPUTS,
      }),
    );
  }
}
