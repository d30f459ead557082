import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { managedDigest, managedFileDigests, RenderedFile } from "../lib/render";

/** Prefix of the branches template-sync pull requests come from. */
export const SYNC_BRANCH_PREFIX = "platform/template-sync-";

export interface RepositoryContentArgs {
  /** Name of the GitHub repository the files are committed to. */
  repository: pulumi.Input<string>;
  /** Default branch of the repository. Defaults to main. */
  branch?: string;
  /** The rendered repository (lib/render), known when the program runs. */
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
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Logical-name fragment of a repository path (stable, unique per path). */
function fileKey(filePath: string): string {
  return filePath.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "");
}

/**
 * Commits the rendered files of a service repository. On creation every file goes to the default
 * branch, and is never overwritten there afterwards (`ignoreChanges: ["content"]`): seed files
 * belong to the team, and managed files change only through a pull request from a
 * `platform/template-sync-<digest>` branch, declared when a managed file differs from the last
 * deployment. Branch, files and pull request are retained on delete, so the pull request stays
 * open for the team after a later deployment stops declaring it.
 */
export class RepositoryContent extends pulumi.ComponentResource {
  /** Path -> digest of the managed files: export it and pass it back as previousManagedFiles. */
  public readonly managedFiles: Record<string, string>;
  /** Managed files that differ from the last deployment (empty when nothing is to sync). */
  public readonly changedFiles: string[];
  public readonly syncBranch?: github.Branch;
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
      repository,
      branch = "main",
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

    for (const file of files) {
      new github.RepositoryFile(
        `${name}-${fileKey(file.path)}`,
        {
          repository,
          branch,
          file: file.path,
          content: file.content,
          commitMessage: `Scaffold ${file.path} from the ML platform template`,
          commitAuthor,
          commitEmail,
          overwriteOnCreate: true,
        },
        // Written once: later template changes reach the default branch only by pull request.
        { parent: this, ignoreChanges: ["content"] },
      );
    }

    this.managedFiles = managedFileDigests(files);
    const changed = changedManagedFiles(files, previousManagedFiles);
    this.changedFiles = changed.map((f) => f.path);
    if (changed.length > 0) {
      const digest = managedDigest(files).slice(0, 8);
      const branchName = `${SYNC_BRANCH_PREFIX}${digest}`;
      const retained = { parent: this, retainOnDelete: true };
      this.syncBranch = new github.Branch(
        `${name}-sync-${digest}`,
        { repository, branch: branchName, sourceBranch: branch },
        retained,
      );
      const commits = changed.map(
        (file) =>
          new github.RepositoryFile(
            `${name}-sync-${digest}-${fileKey(file.path)}`,
            {
              repository,
              branch: this.syncBranch!.branch,
              file: file.path,
              content: file.content,
              commitMessage: `Update ${file.path} from the ML platform template`,
              commitAuthor,
              commitEmail,
              overwriteOnCreate: true,
            },
            retained,
          ),
      );
      this.pullRequest = new github.RepositoryPullRequest(
        `${name}-sync-${digest}`,
        {
          baseRepository: repository,
          baseRef: branch,
          headRef: this.syncBranch.branch,
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
        { ...retained, dependsOn: commits },
      );
      this.pullRequestNumber = this.pullRequest.number;
    }

    this.registerOutputs({
      managedFiles: this.managedFiles,
      changedFiles: this.changedFiles,
      syncBranch: this.syncBranch?.branch,
      pullRequestNumber: this.pullRequestNumber,
    });
  }
}
