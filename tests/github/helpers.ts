/** Shared fixtures of the GitHub commit tests: a token that must never leak, fast retry limits. */
import { GitHubRetryPolicy } from "../../components/github/git-client";

export { captureOutput, rejection } from "../drone/helpers";
export type { CapturedOutput } from "../drone/helpers";

/** The bearer token the fake server accepts. Must never appear in output or errors. */
export const TOKEN = "ghp_test7f3a9c1e5b2d4f60aa";

/**
 * Retry limits that keep tests quick: 4 attempts, 5-20 ms apart, 2 s overall, 3 rebuilds, writes
 * paced one a millisecond (the pacing tests set their own pace).
 */
export const FAST: GitHubRetryPolicy = {
  maxAttempts: 4,
  maxElapsedMs: 2_000,
  initialDelayMs: 5,
  maxDelayMs: 20,
  requestTimeoutMs: 1_000,
  conflictAttempts: 3,
  contentWritesPerWindow: 1_000,
  contentWriteWindowMs: 1_000,
};
