import { createHash } from "crypto";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { GitCommit } from "./github";

/** Prefix of the branches template-sync pull requests come from. */
export const SYNC_BRANCH_PREFIX = "platform/template-sync-";

/** One file of the rendered repository. */
export interface RenderedFile {
  /** Path inside the repository (forward slashes). */
  path: string;
  content: string;
  /** managed: the platform keeps it current (by pull request); seed: the team's from the start. */
  kind: "managed" | "seed";
  /** sha256 (hex) of the content's UTF-8 bytes. */
  digest: string;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Path -> digest of the managed files, by path (the record a deployment exports and compares). */
export function managedFileDigests(files: readonly RenderedFile[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of [...files].sort((a, b) => compare(a.path, b.path))) {
    if (file.kind === "managed") out[file.path] = file.digest;
  }
  return out;
}

/** One digest over all managed files (paths and contents): changes when any of them changes. */
export function managedDigest(files: readonly RenderedFile[]): string {
  const hash = createHash("sha256");
  for (const [file, digest] of Object.entries(managedFileDigests(files))) {
    hash.update(`${file}\0${digest}\n`);
  }
  return hash.digest("hex");
}

export interface RepositoryContentArgs {
  /** Base URL of GitHub's REST API (the stack setting `githubApiUrl`). */
  apiUrl: pulumi.Input<string>;
  /** GitHub token with Contents write on the repository (a secret). */
  token: pulumi.Input<string>;
  /** Organisation that owns the repository. */
  owner: pulumi.Input<string>;
  /** Name of the GitHub repository the files are committed to. */
  repository: pulumi.Input<string>;
  /** The branch the files were rendered for: the default branch. Defaults to main. */
  branch?: string;
  /**
   * The repository's default branch as GitHub made it (SourceRepository's `githubDefaultBranch`,
   * the github.Repository's `defaultBranch` output: the organisation's setting). When given, the
   * scaffold commit is refused, before anything is written, unless it equals `branch`.
   */
  repositoryDefaultBranch?: pulumi.Input<string>;
  /** The rendered repository, known when the program runs. */
  files: RenderedFile[];
  /** Path -> digest of the managed files as deployed last time (the `managedFiles` output); undefined on the first deployment. */
  previousManagedFiles?: Record<string, string>;
  /** Author of the platform's commits. Defaults to "ML platform". */
  commitAuthor?: string;
  /** E-mail of the platform's commits. Defaults to "ml-platform@users.noreply.github.com". */
  commitEmail?: string;
}

/** Managed files whose content differs from the last deployment, or that are new; sorted by path. */
export function changedManagedFiles(
  files: readonly RenderedFile[],
  previous: Record<string, string> | undefined,
): RenderedFile[] {
  if (previous === undefined) return [];
  return files
    .filter((f) => f.kind === "managed" && previous[f.path] !== f.digest)
    .sort((a, b) => compare(a.path, b.path));
}

/**
 * Commits the rendered files of a service repository. On creation every file goes to the default
 * branch in one commit (`GitCommit`, GitHub's Git data API: three writes however many files), and
 * is never overwritten there afterwards: seed files belong to the team, and managed files change
 * only through a pull request from a `platform/template-sync-<digest>` branch, made of one commit
 * of the managed files that differ from the last deployment. Sync commit and pull request are
 * retained on delete, so the pull request stays open for the team after a later deployment stops
 * declaring it.
 *
 * The pull request is @pulumi/github's RepositoryPullRequest, which cannot adopt one that exists:
 * its create calls GitHub's "create a pull request" and returns the error as is
 * (terraform-provider-github v6.13.0 github/resource_github_repository_pull_request.go,
 * resourceGithubRepositoryPullRequestCreate), and GitHub refuses a second open pull request for
 * the same head with 422 errors[].message "A pull request already exists for OWNER:BRANCH.". When
 * the sync branch already exists with the same files (the same template digest again, or a
 * deployment that stopped after opening the pull request), the sync commit adopts the branch and
 * warns with the open pull request's number; see docs/templates.md for closing or importing it.
 */
export class RepositoryContent extends pulumi.ComponentResource {
  /** Path -> digest of the managed files: export it and pass it back as previousManagedFiles. */
  public readonly managedFiles: Record<string, string>;
  /** Managed files that differ from the last deployment (empty when nothing is to sync). */
  public readonly changedFiles: string[];
  /** The initial commit of every file. */
  public readonly scaffold: GitCommit;
  /** The commit that creates the sync branch, when one is declared. */
  public readonly syncCommit?: GitCommit;
  /** Name of the sync branch, when one is declared. */
  public readonly syncBranch?: pulumi.Output<string>;
  public readonly pullRequest?: github.RepositoryPullRequest;
  /** Number of the sync pull request, when one is declared. */
  public readonly pullRequestNumber?: pulumi.Output<number>;

  constructor(
    name: string,
    args: RepositoryContentArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    super("mlplatform:github:RepositoryContent", name, {}, opts);
    const {
      apiUrl,
      token,
      owner,
      repository,
      branch = "main",
      repositoryDefaultBranch,
      files,
      previousManagedFiles,
      commitAuthor = "ML platform",
      commitEmail = "ml-platform@users.noreply.github.com",
    } = args;
    const seen = new Set<string>();
    for (const file of files) {
      if (seen.has(file.path)) throw new Error(`[files] path ${file.path} is given twice`);
      seen.add(file.path);
    }
    const target = {
      apiUrl,
      token,
      owner,
      repository,
      authorName: commitAuthor,
      authorEmail: commitEmail,
    };
    const onlyText = (list: readonly RenderedFile[]) =>
      list.map((f) => ({ path: f.path, content: f.content }));

    this.scaffold = new GitCommit(
      `${name}-scaffold`,
      {
        ...target,
        branch,
        ...(repositoryDefaultBranch !== undefined
          ? { defaultBranch: repositoryDefaultBranch }
          : {}),
        files: onlyText(files),
        message: "Scaffold the service from the ML platform template",
      },
      { parent: this },
    );

    this.managedFiles = managedFileDigests(files);
    const changed = changedManagedFiles(files, previousManagedFiles);
    this.changedFiles = changed.map((f) => f.path);
    if (changed.length > 0) {
      const digest = managedDigest(files).slice(0, 8);
      const retained = { parent: this, retainOnDelete: true };
      this.syncCommit = new GitCommit(
        `${name}-sync-${digest}`,
        {
          ...target,
          branch: `${SYNC_BRANCH_PREFIX}${digest}`,
          fromBranch: branch,
          files: onlyText(changed),
          message: `Update ${changed.length} managed file(s) from the ML platform template`,
        },
        retained,
      );
      this.syncBranch = this.syncCommit.branch;
      this.pullRequest = new github.RepositoryPullRequest(
        `${name}-sync-${digest}`,
        {
          baseRepository: repository,
          baseRef: branch,
          headRef: this.syncCommit.branch,
          title: `Platform template update (${digest})`,
          body: [
            "The ML platform's template or this service's catalog entry changed. These managed files differ from the default branch:",
            "",
            ...changed.map((f) => `- \`${f.path}\``),
            "",
            "Review and merge to apply; seed files (code, tests, README) are never changed by the platform.",
          ].join("\n"),
          maintainerCanModify: true,
        },
        { ...retained, dependsOn: [this.syncCommit] },
      );
      this.pullRequestNumber = this.pullRequest.number;
    }

    this.registerOutputs({
      managedFiles: this.managedFiles,
      changedFiles: this.changedFiles,
      scaffoldCommit: this.scaffold.commitSha,
      syncBranch: this.syncBranch,
      pullRequestNumber: this.pullRequestNumber,
    });
  }
}
