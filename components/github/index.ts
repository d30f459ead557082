/** GitHub pieces the provider package lacks: a dynamic provider over the Git data API. */
export { GitCommit } from "./git-commit";
export type { GitCommitArgs } from "./git-commit";
export { gitCommitProvider } from "./commit-provider";
export type { GitCommitInputs, GitCommitState } from "./commit-provider";
export { DEFAULT_CONTENT_PACE, DEFAULT_GITHUB_RETRY_POLICY } from "./git-client";
export type { GitHubRetryPolicy } from "./git-client";
/** Plan, licence and topic rules (pure). */
export { githubTopics, repositoryFeatures } from "./features";
export type { GitHubOrganisation, GitHubPlan, RepositoryFeatures } from "./features";
