import * as pulumi from "@pulumi/pulumi";
import { PackagedDynamicResource } from "../dynamic-providers";
import { refuseWhenDeclared } from "./declared";
import { resolveRepositoryInputs } from "./repository-provider";
import { DroneVisibility } from "./validation";

/** Where Drone is and how the platform authenticates to it. */
export interface DroneConnectionArgs {
  /** Base URL of the Drone server: the stack setting `droneServer` (https). */
  server: pulumi.Input<string>;
  /** Token of the platform's Drone machine user (`config.requireSecret("droneToken")`); kept secret. */
  token: pulumi.Input<string>;
}

export interface DroneRepositoryArgs extends DroneConnectionArgs {
  /** GitHub organisation (or user) that owns the repository. */
  owner: pulumi.Input<string>;
  /** Repository name. */
  name: pulumi.Input<string>;
  /** Path of the pipeline file in the repository. Defaults to ".drone.yml". */
  configPath?: pulumi.Input<string>;
  /**
   * Every webhook build waits for approval unless the pipeline file carries a valid signature
   * (`drone sign --save owner/name`): drone/drone trigger/trigger.go verifies it with drone-yaml's
   * signer and blocks the build when it is missing or wrong. Defaults to false: the platform signs
   * no pipeline file, so true would block every build.
   */
  protected?: pulumi.Input<boolean>;
  /**
   * Privileged steps and host volumes. Only a Drone administrator can change it; Drone may set it
   * on sync from its server setting. Defaults to false.
   */
  trusted?: pulumi.Input<boolean>;
  /** Who may see builds and logs in Drone: "private" (GitHub readers) or "internal" (every Drone user). Defaults to "private". */
  visibility?: pulumi.Input<DroneVisibility>;
  /** Ignore pull requests from forks. Defaults to true. */
  ignoreForks?: pulumi.Input<boolean>;
  /** Ignore pull requests altogether. Defaults to false. */
  ignorePullRequests?: pulumi.Input<boolean>;
  /** Cancel pending pull-request builds superseded by a newer commit. Defaults to true. */
  autoCancelPullRequests?: pulumi.Input<boolean>;
  /** Cancel pending push builds superseded by a newer commit. Defaults to true. */
  autoCancelPushes?: pulumi.Input<boolean>;
  /** Build timeout in minutes, 1 to 1440 (changing it needs a Drone admin token). Defaults to 60. */
  timeoutMinutes?: pulumi.Input<number>;
}

/**
 * A repository activated in Drone, with its settings. Deleting it deactivates the repository
 * (build history stays in Drone). Identity (server, owner, name) changes replace it.
 */
export class DroneRepository extends PackagedDynamicResource {
  declare public readonly server: pulumi.Output<string>;
  declare public readonly owner: pulumi.Output<string>;
  declare public readonly name: pulumi.Output<string>;
  /** "owner/name", known once the repository is active: pass it to DroneSecret's `repository`. */
  declare public readonly slug: pulumi.Output<string>;
  declare public readonly active: pulumi.Output<boolean>;
  declare public readonly configPath: pulumi.Output<string>;
  declare public readonly protected: pulumi.Output<boolean>;
  declare public readonly trusted: pulumi.Output<boolean>;
  declare public readonly visibility: pulumi.Output<DroneVisibility>;
  declare public readonly ignoreForks: pulumi.Output<boolean>;
  declare public readonly ignorePullRequests: pulumi.Output<boolean>;
  declare public readonly autoCancelPullRequests: pulumi.Output<boolean>;
  declare public readonly autoCancelPushes: pulumi.Output<boolean>;
  declare public readonly timeoutMinutes: pulumi.Output<number>;

  constructor(name: string, args: DroneRepositoryArgs, opts: pulumi.CustomResourceOptions = {}) {
    // Plain values are checked now, so a mistake names this resource before anything runs.
    const plain = Object.fromEntries(
      Object.entries(args).filter(([k, v]) => k !== "token" && !pulumi.Output.isInstance(v)),
    );
    const { problems } = resolveRepositoryInputs({ ...plain, token: "-" });
    const known = problems.filter((p) => p.field in plain);
    refuseWhenDeclared(`DroneRepository ${name}`, known);
    super(
      // The implementation is the installed package's; the state keeps one line (../dynamic-providers.ts).
      "droneRepository",
      name,
      {
        server: args.server,
        token: pulumi.secret(args.token),
        owner: args.owner,
        name: args.name,
        configPath: args.configPath,
        protected: args.protected,
        trusted: args.trusted,
        visibility: args.visibility,
        ignoreForks: args.ignoreForks,
        ignorePullRequests: args.ignorePullRequests,
        autoCancelPullRequests: args.autoCancelPullRequests,
        autoCancelPushes: args.autoCancelPushes,
        timeoutMinutes: args.timeoutMinutes,
        slug: undefined,
        active: undefined,
      },
      // Delete before create on a replacement: a forced replacement (`pulumi up --replace`) keeps
      // the identity, and create-then-delete would remove what it just created.
      pulumi.mergeOptions(pulumi.mergeOptions({ deleteBeforeReplace: true }, opts), {
        additionalSecretOutputs: ["token"],
      }),
    );
  }
}
