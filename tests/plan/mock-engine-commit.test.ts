/**
 * The offline engine answers a GitCommit with the outputs the provider itself keeps, without
 * importing the provider (offline tools know no component's internals): both must agree.
 */
import * as fc from "fast-check";
import { commitState, GitCommitInputs } from "../../components/github/commit-provider";
import { commitOutputs } from "../../offline/plan/mock-engine";

const base: GitCommitInputs = {
  apiUrl: "https://api.github.com",
  token: "ghp_example",
  owner: "acme",
  repository: "churn",
  branch: "main",
  files: [
    { path: "src/train.py", content: "print(1)\n" },
    { path: ".drone.yml", content: "kind: pipeline\n" },
    { path: "README.md", content: "# churn\n" },
  ],
  message: "Scaffold",
  authorName: "ML platform",
  authorEmail: "ml-platform@example.com",
};

test("the same outputs as the provider, without and with fromBranch", () => {
  const state = commitOutputs({ ...base }, "c".repeat(40), "t".repeat(40));
  expect(state).toEqual({ ...commitState(base, "c".repeat(40), "t".repeat(40)) });
  expect(state).toEqual({
    apiUrl: "https://api.github.com",
    owner: "acme",
    repository: "churn",
    branch: "main",
    commitSha: "c".repeat(40),
    treeSha: "t".repeat(40),
    paths: [".drone.yml", "README.md", "src/train.py"],
  });
  expect(state).not.toHaveProperty("token");
  expect(state).not.toHaveProperty("files");
  const branched = { ...base, branch: "platform/update", fromBranch: "main" };
  expect(commitOutputs({ ...branched }, "a", "b")).toEqual({ ...commitState(branched, "a", "b") });
});

test("agree on any set of paths and branches", () => {
  const path = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}(\/[A-Za-z0-9._-]{1,8}){0,2}$/);
  fc.assert(
    fc.property(
      fc.uniqueArray(path, { minLength: 0, maxLength: 12 }),
      fc.option(fc.constantFrom("main", "develop"), { nil: undefined }),
      (paths, fromBranch) => {
        const inputs: GitCommitInputs = {
          ...base,
          ...(fromBranch !== undefined ? { fromBranch, branch: "platform/x" } : {}),
          files: paths.map((p) => ({ path: p, content: p })),
        };
        expect(commitOutputs({ ...inputs }, "c", "t")).toEqual({
          ...commitState(inputs, "c", "t"),
        });
      },
    ),
    { numRuns: 50 },
  );
});
