import * as pulumi from "@pulumi/pulumi";
import { PackagedDynamicResource } from "../dynamic-providers";
import { commitProblems, describeCommitProblems } from "./commit-provider";
import { gitHubError } from "./git-client";
import { failuresOfKnownInputs, UNKNOWN_VALUE } from "../unknown-value";

export interface GitCommitArgs {
  /** Base URL of GitHub's REST API (the stack setting `githubApiUrl`). */
  apiUrl: pulumi.Input<string>;
  /** GitHub token with Contents write on the repository (`config.requireSecret("githubToken")`); kept secret. */
  token: pulumi.Input<string>;
  owner: pulumi.Input<string>;
  repository: pulumi.Input<string>;
  /** Branch that receives the commit. */
  branch: pulumi.Input<string>;
  /** When set, `branch` is created by the commit, from this branch's head. */
  fromBranch?: pulumi.Input<string>;
  /** The files, as known when the program runs. */
  files: { path: string; content: string }[];
  message: pulumi.Input<string>;
  authorName: pulumi.Input<string>;
  authorEmail: pulumi.Input<string>;
  /**
   * The repository's default branch as GitHub reports it (the github.Repository's `defaultBranch`
   * output: the organisation's setting). Without fromBranch, the commit is refused, before any
   * write, unless `branch` is this branch (the files were rendered for `branch`).
   */
  defaultBranch?: pulumi.Input<string>;
}

/**
 * Files written to a GitHub branch as one commit (Git data API). Made once: later changes to the
 * files are not applied (`files` and `message` are ignoreChanges), deleting it deletes nothing,
 * and a change of repository or branch makes a new commit there.
 */
export class GitCommit extends PackagedDynamicResource {
  declare public readonly owner: pulumi.Output<string>;
  declare public readonly repository: pulumi.Output<string>;
  declare public readonly branch: pulumi.Output<string>;
  /** The commit that carries the files. */
  declare public readonly commitSha: pulumi.Output<string>;
  declare public readonly treeSha: pulumi.Output<string>;
  /** The committed paths, sorted. */
  declare public readonly paths: pulumi.Output<string[]>;

  constructor(name: string, args: GitCommitArgs, opts: pulumi.CustomResourceOptions = {}) {
    // Plain values are checked now, so a mistake names this resource before anything runs. The
    // others are what a preview sees, unknown: the provider's own rule skips them (and any rule
    // comparing two fields, one of them unknown), and check/create see them once known.
    const declared: Record<string, unknown> = Object.fromEntries(
      Object.entries(args).map(([k, v]) => [k, pulumi.Output.isInstance(v) ? UNKNOWN_VALUE : v]),
    );
    declared.token = "-";
    const problems = failuresOfKnownInputs(declared, commitProblems(declared)).map((f) => ({
      field: f.property,
      reason: f.reason,
    }));
    if (problems.length > 0) {
      throw gitHubError(describeCommitProblems(`GitCommit ${name}`, problems), {
        transient: false,
        attempts: 0,
      });
    }
    super(
      // The implementation is the installed package's; the state keeps one line (../dynamic-providers.ts).
      "gitCommit",
      name,
      {
        apiUrl: args.apiUrl,
        token: pulumi.secret(args.token),
        owner: args.owner,
        repository: args.repository,
        branch: args.branch,
        fromBranch: args.fromBranch,
        files: args.files,
        message: args.message,
        authorName: args.authorName,
        authorEmail: args.authorEmail,
        defaultBranch: args.defaultBranch,
        commitSha: undefined,
        treeSha: undefined,
        paths: undefined,
      },
      pulumi.mergeOptions(opts, {
        ignoreChanges: ["files", "message", "authorName", "authorEmail"],
      }),
    );
  }
}
