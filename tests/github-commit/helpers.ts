/** Shared fixtures of the GitCommit tests: a token that must never leak, fast retry limits. */
import { GitHubRetryPolicy } from "../../components/github/git-client";
import { captureOutput } from "../drone/helpers";

/** The bearer token the fake server accepts. Must never appear in output or errors. */
export const TOKEN = "ghp_test7f3a9c1e5b2d4f60aa";

/** Retry limits that keep tests quick: 4 attempts, 5-20 ms apart, 2 s overall. */
export const FAST: GitHubRetryPolicy = {
  maxAttempts: 4,
  maxElapsedMs: 2_000,
  initialDelayMs: 5,
  maxDelayMs: 20,
  requestTimeoutMs: 1_000,
  conflictAttempts: 3,
};

/** Runs `work` with the console captured; returns its result and everything printed. */
export async function quietly<T>(work: () => Promise<T>): Promise<{ result: T; printed: string }> {
  const out = captureOutput();
  try {
    const result = await work();
    return { result, printed: out.text() };
  } finally {
    out.restore();
  }
}
