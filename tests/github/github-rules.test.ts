/**
 * What GitHub does that the commit provider must follow, driven against the fake GitHub server
 * (each behaviour of the fake cites its source in fake-github-server.ts): secondary rate limits
 * without headers, the pacing of content-creating requests, 422 "Reference update failed", an
 * open pull request on an adopted sync branch, 301/307 redirects of a renamed repository, the
 * errors[] of a 422, and the default branch GitHub gave the repository.
 */
import {
  GitCommitInputs,
  GitCommitState,
  gitCommitProvider,
} from "../../components/github/commit-provider";
import {
  callGitHub,
  GitHubRetryPolicy,
  gitHubMessage,
  paceContentWrite,
  rateLimitWait,
  redirectPath,
} from "../../components/github/git-client";
import { FakeGitHubServer, SECONDARY_LIMIT_BODY } from "./fake-github-server";
import { CapturedOutput, FAST, TOKEN, captureOutput, rejection } from "./helpers";

const SLUG = "acme-ml/churn-model";
const REPO = "/repos/acme-ml/churn-model";
const SUBJECT = "repository acme-ml/churn-model, branch main";
const SYNC_BRANCH = "platform/template-sync-abcd1234";
const SYNC_SUBJECT = `repository acme-ml/churn-model, branch ${SYNC_BRANCH}`;
const INITIAL = { "README.md": "# churn-model\n" };
const FILES = [
  { path: ".drone.yml", content: "kind: pipeline\n" },
  { path: "src/churn_model/train.py", content: "def train():\n    return 'ok'\n" },
];

let github: FakeGitHubServer;
let output: CapturedOutput;
const errors: string[] = [];

function inputs(overrides: Partial<GitCommitInputs> = {}): GitCommitInputs {
  return {
    apiUrl: github.url,
    token: TOKEN,
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    files: FILES,
    message: "Scaffold churn-model",
    authorName: "ML Platform",
    authorEmail: "ml-platform@acme.example",
    ...overrides,
  };
}

async function create(
  given: GitCommitInputs,
  policy: GitHubRetryPolicy = FAST,
): Promise<{ id: string; outs: GitCommitState }> {
  const result = await gitCommitProvider(policy).create(given);
  return { id: result.id, outs: result.outs as GitCommitState };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await rejection(promise);
  errors.push(`${error.message}\n${error.stack}`);
  return error;
}

beforeAll(() => {
  output = captureOutput();
});

beforeEach(async () => {
  github = await FakeGitHubServer.start(TOKEN);
});

afterEach(async () => {
  await github.stop();
});

afterAll(() => {
  output.restore();
  expect(`${output.text()}\n${errors.join("\n")}`).not.toContain(TOKEN);
});

describe("secondary rate limits (point 3)", () => {
  test("a 403 or 429 without retry-after or x-ratelimit-remaining: 0 waits at least a minute, longer each time", () => {
    const now = 1_000_000_000_000;
    expect(rateLimitWait(403, {}, now, SECONDARY_LIMIT_BODY)).toBe(60_000);
    expect(rateLimitWait(429, {}, now)).toBe(60_000);
    expect(rateLimitWait(429, {}, now, undefined, 1)).toBe(120_000);
    expect(rateLimitWait(403, {}, now, SECONDARY_LIMIT_BODY, 2)).toBe(240_000);
    // By its documentation_url alone, as go-github reads it.
    expect(
      rateLimitWait(403, {}, now, {
        message: "Forbidden",
        documentation_url: "https://docs.github.com/rest#secondary-rate-limits",
      }),
    ).toBe(60_000);
    // retry-after and the primary limit still come first.
    expect(rateLimitWait(403, { "retry-after": "3" }, now, SECONDARY_LIMIT_BODY)).toBe(3_000);
    // A 403 that is not a rate limit is a permission problem.
    expect(
      rateLimitWait(403, {}, now, { message: "Resource not accessible by integration" }),
    ).toBeUndefined();
  });

  test("a header-less secondary limit on a write is not taken for a missing permission", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    // Two writes a minute: the third (the ref update) is refused, with no header at all.
    github.limitContentCreation({ perWindow: 2, windowMs: 60_000 });
    const error = await failure(create(inputs()));
    expect(error.message).toMatch(
      /^GitHub: could not move main to the new commit \(repository acme-ml\/churn-model, branch main\): HTTP 403 \(GitHub says: "You have exceeded a secondary rate limit\. [^"]*"\), after 1 attempt\(s\) in \d+\.\d s\. GitHub's rate limit asks for 60 s more; run `pulumi up` again later \(it resumes where it stopped\)\.$/,
    );
    expect(error.message).not.toContain("lacks permission");
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`).map((r) => r.status)).toEqual([
      403,
    ]);
  });

  test("a header-less 429 is retried after the minute GitHub asks for, not at once", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({ method: "POST", pathPrefix: `${REPO}/git/trees`, count: 1, status: 429 });
    const started = Date.now();
    const error = await failure(create(inputs()));
    expect(Date.now() - started).toBeLessThan(FAST.maxElapsedMs);
    expect(error.message).toContain("GitHub's rate limit asks for 60 s more");
    expect(github.calls("POST", `${REPO}/git/trees`)).toHaveLength(1);
  });
});

describe("pacing of content-creating requests (point 3)", () => {
  /** Two writes per 400 ms: one every 200 ms. */
  const PACED: GitHubRetryPolicy = {
    ...FAST,
    maxElapsedMs: 1_500,
    contentWritesPerWindow: 2,
    contentWriteWindowMs: 400,
  };

  test("commits of several repositories at once stay inside GitHub's content-creation limit", async () => {
    const slugs = ["acme-ml/a", "acme-ml/b", "acme-ml/c"];
    for (const slug of slugs) github.addRepository(slug, { files: INITIAL });
    // GitHub-like limit a little looser than the pace, so timer slack cannot break it.
    github.limitContentCreation({ perWindow: 2, windowMs: 300 });
    // Two provider objects: the pace is the process's, not one provider's.
    const results = await Promise.all(
      slugs.map((slug, i) =>
        create(inputs({ repository: slug.split("/")[1] }), i === 0 ? PACED : { ...PACED }),
      ),
    );
    expect(results).toHaveLength(3);
    expect(github.requests.filter((r) => r.status === 403)).toEqual([]);
    for (const slug of slugs) expect(github.commitCount(slug, "main")).toBe(2);
    // Nine writes, one every 200 ms.
    const times = github.contentCreations;
    expect(times).toHaveLength(9);
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThan(100);
    expect(times[8] - times[0]).toBeGreaterThanOrEqual(1_400);
    // Reads are not paced; writes are the tree, the commit and the ref update.
    expect(github.requests.filter((r) => r.method !== "GET")).toHaveLength(9);
  });

  test("without pacing the same burst meets the limit (the fake is strict)", async () => {
    const slugs = ["acme-ml/a", "acme-ml/b", "acme-ml/c"];
    for (const slug of slugs) github.addRepository(slug, { files: INITIAL });
    github.limitContentCreation({ perWindow: 2, windowMs: 60_000 });
    const unpaced = { ...FAST, contentWritesPerWindow: 1_000_000, contentWriteWindowMs: 1 };
    const outcomes = await Promise.allSettled(
      slugs.map((slug) => create(inputs({ repository: slug.split("/")[1] }), unpaced)),
    );
    expect(outcomes.filter((o) => o.status === "rejected").length).toBeGreaterThan(0);
    expect(github.requests.filter((r) => r.status === 403).length).toBeGreaterThan(0);
  });

  test("the slots are process-wide, per API URL, evenly spaced", () => {
    const policy = { ...FAST, contentWritesPerWindow: 8, contentWriteWindowMs: 60_000 };
    const api = "https://pace-test.example";
    const now = 5_000_000;
    expect([0, 1, 2].map(() => paceContentWrite(api, policy, now))).toEqual([0, 7_500, 15_000]);
    // Another API URL has its own slots.
    expect(paceContentWrite("https://other.example", policy, now)).toBe(0);
    // Later, free slots are used at once.
    expect(paceContentWrite(api, policy, now + 60_000)).toBe(0);
  });
});

describe("creating a sync branch (point 4)", () => {
  test('422 "Reference update failed" is not "the branch exists": retried, then the branch is created', async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.failRefCreations(1);
    const result = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    expect(github.calls("POST", `${REPO}/git/refs`).map((r) => r.status)).toEqual([422, 201]);
    expect(result.outs.commitSha).toBe(github.head(SLUG, SYNC_BRANCH));
    // No read of the branch as if it existed.
    expect(github.calls("GET", `${REPO}/git/ref/heads/${SYNC_BRANCH}`)).toEqual([]);
    expect(output.text()).toContain(
      `GitHub: POST ${REPO}/git/refs: HTTP 422 (GitHub says: "Reference update failed"); retrying in`,
    );
  });

  test('a persistent "Reference update failed" fails saying so, not "it does not exist"', async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.failRefCreations(100);
    const error = await failure(create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" })));
    expect(error.message).toMatch(
      new RegExp(
        `^GitHub: could not create branch platform/template-sync-abcd1234 \\(${SYNC_SUBJECT.replace(/[/.]/g, "\\$&")}\\): HTTP 422 \\(GitHub says: "Reference update failed"\\), after 4 attempt\\(s\\) in \\d+\\.\\d s\\. GitHub kept answering "Reference update failed", which it does intermittently for ref creations \\(github/rest-api-description#4887\\); run \`pulumi up\` again\\.$`,
      ),
    );
    expect(github.head(SLUG, SYNC_BRANCH)).toBeUndefined();
  });

  test("another 422 of the ref creation fails at once with GitHub's message and errors[]", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "POST",
      pathPrefix: `${REPO}/git/refs`,
      count: 1,
      status: 422,
      body: {
        message: "Repository rule violations found",
        errors: [{ message: "Cannot create ref due to creations being restricted." }],
      },
    });
    const error = await failure(create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" })));
    expect(error.message).toBe(
      `GitHub: could not create branch ${SYNC_BRANCH} (${SYNC_SUBJECT}): HTTP 422 (GitHub says: "Repository rule violations found: Cannot create ref due to creations being restricted."). GitHub rejected the request: check the file paths and branch names.`,
    );
    expect(github.calls("GET", `${REPO}/git/ref/heads/${SYNC_BRANCH}`)).toEqual([]);
  });

  test("an adopted sync branch whose pull request is already open: the pull request is named, with the way out", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const first = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    const number = github.openPullRequest(SLUG, SYNC_BRANCH, "main", "Platform template update");
    github.requests.length = 0;
    const again = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    expect(again.outs.commitSha).toBe(first.outs.commitSha);
    const lookup = github.calls("GET", `${REPO}/pulls`);
    expect(lookup).toHaveLength(1);
    expect(new URLSearchParams(lookup[0].query).get("head")).toBe(`acme-ml:${SYNC_BRANCH}`);
    expect(output.text()).toContain(
      `GitHub: pull request #${number} from ${SYNC_BRANCH} into main is already open (${SYNC_SUBJECT}). The sync's RepositoryPullRequest cannot adopt it: @pulumi/github creates a new one, which GitHub refuses with HTTP 422 "A pull request already exists for acme-ml:${SYNC_BRANCH}."`,
    );
    expect(output.text()).toContain(
      `pulumi import github:index/repositoryPullRequest:RepositoryPullRequest <the sync pull request's name> acme-ml:churn-model:${number}`,
    );
  });

  test("a pull request lookup GitHub refuses only warns: the branch is adopted all the same", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const first = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    github.inject({
      method: "GET",
      pathPrefix: `${REPO}/pulls`,
      count: 1,
      status: 403,
      message: "Resource not accessible by personal access token",
    });
    const again = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    expect(again.outs.commitSha).toBe(first.outs.commitSha);
    expect(output.text()).toContain(
      `GitHub: could not look up the open pull requests from ${SYNC_BRANCH} (${SYNC_SUBJECT}): HTTP 403 (GitHub says: "Resource not accessible by personal access token"). The token lacks permission`,
    );
  });

  test("the fake refuses a second pull request as GitHub does, and the client keeps the errors[]", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.push(SLUG, SYNC_BRANCH, { "x.txt": "x\n" }, { from: "main" });
    github.openPullRequest(SLUG, SYNC_BRANCH, "main");
    const error = await failure(
      callGitHub(
        { apiUrl: github.url, token: TOKEN },
        {
          method: "POST",
          path: `${REPO}/pulls`,
          body: { title: "again", head: SYNC_BRANCH, base: "main" },
          operation: "open the sync pull request",
          subject: SYNC_SUBJECT,
        },
        FAST,
      ),
    );
    expect(error.message).toBe(
      `GitHub: could not open the sync pull request (${SYNC_SUBJECT}): HTTP 422 (GitHub says: "Validation Failed: A pull request already exists for acme-ml:${SYNC_BRANCH}."). GitHub rejected the request: check the file paths and branch names.`,
    );
  });

  test("gitHubMessage keeps every errors[] entry: message, or resource.field code", () => {
    expect(
      gitHubMessage({
        message: "Validation Failed",
        errors: [
          { resource: "PullRequest", field: "head", code: "invalid" },
          { resource: "PullRequest", code: "custom", message: "No commits between main and x" },
          "plain text",
        ],
      }),
    ).toBe(
      "Validation Failed: PullRequest.head invalid; No commits between main and x; plain text",
    );
    expect(gitHubMessage({ message: "Not Found" })).toBe("Not Found");
    expect(gitHubMessage({ errors: [{ code: "missing" }] })).toBe("missing");
  });
});

describe("a renamed or transferred repository (point 4)", () => {
  test("301 and 307 are followed within the API, and the new location is used from then on", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.renameRepository(SLUG, "acme-ml/churn-model-v2");
    const id = github.repositories.get("acme-ml/churn-model-v2")!.id;
    const result = await create(inputs());
    expect(github.commitCount("acme-ml/churn-model-v2", "main")).toBe(2);
    expect(result.outs.commitSha).toBe(github.head("acme-ml/churn-model-v2", "main"));
    // The state keeps the names it was given.
    expect(result.outs.repository).toBe("churn-model");
    const moved = `/repositories/${id}`;
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET ${REPO}/git/ref/heads/main 301`,
      `GET ${moved}/git/ref/heads/main 200`,
      `GET ${moved}/git/commits/${github.commit("acme-ml/churn-model-v2", result.outs.commitSha).parents[0]} 200`,
      `POST ${moved}/git/trees 201`,
      `POST ${moved}/git/commits 201`,
      `PATCH ${moved}/git/refs/heads/main 200`,
    ]);
    expect(output.text()).toContain(
      `GitHub: GET ${REPO}/git/ref/heads/main: moved permanently (HTTP 301) to ${moved}/git/ref/heads/main; following it (${SUBJECT} was renamed or transferred on GitHub)`,
    );
  });

  test("a 307 of a write is repeated at the new location with its body", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const id = github.repositories.get(SLUG)!.id;
    const initial = github.head(SLUG, "main")!;
    github.renameRepository(SLUG, "acme-ml/renamed");
    const reply = await callGitHub(
      { apiUrl: github.url, token: TOKEN },
      {
        method: "POST",
        path: `${REPO}/git/refs`,
        body: { ref: "refs/heads/feature", sha: initial },
        operation: "create branch feature",
        subject: SUBJECT,
      },
      FAST,
    );
    expect(reply.status).toBe(201);
    expect(reply.movedTo).toBeUndefined();
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `POST ${REPO}/git/refs 307`,
      `POST /repositories/${id}/git/refs 201`,
    ]);
    expect(github.requests[1].body).toEqual({ ref: "refs/heads/feature", sha: initial });
    expect(github.head("acme-ml/renamed", "feature")).toBe(initial);
  });

  test("a redirect out of the API URL is not followed: the token goes nowhere else", async () => {
    expect(
      redirectPath(
        "https://api.github.com",
        "https://api.github.com/repositories/7/x",
        "/repos/a/b/x",
      ),
    ).toBe("/repositories/7/x");
    expect(
      redirectPath("https://ghe.acme.example/api/v3", "/api/v3/repositories/7", "/repos/a/b"),
    ).toBe("/repositories/7");
    expect(
      redirectPath("https://api.github.com", "https://evil.example/repositories/7", "/x"),
    ).toBeUndefined();
    expect(
      redirectPath("https://ghe.acme.example/api/v3", "/elsewhere/7", "/repos/a/b"),
    ).toBeUndefined();
    expect(redirectPath("https://api.github.com", "http://api.github.com/x", "/x")).toBeUndefined();

    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "GET",
      count: 1,
      status: 301,
      headers: { location: "https://evil.example/repositories/1/git/ref/heads/main" },
    });
    const error = await failure(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not read the head of main (${SUBJECT}): HTTP 301 to "https://evil.example/repositories/1/git/ref/heads/main": not followed (only redirects within ${github.url} are, so the token goes nowhere else). Check mlplatform:githubApiUrl and the repository's name on GitHub.`,
    );
    expect(github.requests).toHaveLength(1);
  });
});

describe("the default branch is GitHub's (point 4)", () => {
  test("a scaffold for main in a repository GitHub made with trunk is refused before any request", async () => {
    github.addRepository(SLUG, { files: INITIAL, defaultBranch: "trunk" });
    const error = await failure(create(inputs({ defaultBranch: "trunk" })));
    expect(error.message).toBe(
      [
        "GitCommit acme-ml/churn-model: invalid arguments:",
        '  defaultBranch: the repository\'s default branch is "trunk" (GitHub\'s default_branch: the organisation\'s setting for new repositories), but the files were rendered for "main": set mlplatform:githubDefaultBranch to "trunk", or rename the branch on GitHub to "main", then run `pulumi up` again',
      ].join("\n"),
    );
    expect(github.requests).toHaveLength(0);
  });

  test("files rendered for the branch GitHub made are committed there", async () => {
    github.addRepository(SLUG, { files: INITIAL, defaultBranch: "trunk" });
    const result = await create(inputs({ branch: "trunk", defaultBranch: "trunk" }));
    expect(result.outs.commitSha).toBe(github.head(SLUG, "trunk"));
    expect(github.commitCount(SLUG, "trunk")).toBe(2);
  });

  test("check reports it on the field; an unknown default branch (preview) is no failure", async () => {
    const provider = gitCommitProvider(FAST);
    const check = (news: Partial<GitCommitInputs>) =>
      provider.check!({} as GitCommitInputs, { ...inputs(), ...news } as GitCommitInputs);
    expect(
      ((await check({ defaultBranch: "trunk" })).failures ?? []).map((f) => f.property),
    ).toEqual(["defaultBranch"]);
    expect((await check({ defaultBranch: "main" })).failures).toEqual([]);
    expect(
      (await check({ defaultBranch: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" })).failures,
    ).toEqual([]);
    // A sync commit (fromBranch) is not compared: its branch is new.
    expect(
      (await check({ branch: SYNC_BRANCH, fromBranch: "main", defaultBranch: "main" })).failures,
    ).toEqual([]);
  });
});
