/**
 * GitCommit's provider driven directly against the fake GitHub server over real HTTP: one commit
 * per create (tree, commit, ref), fresh and racing repositories, new branches, the retry and
 * failure behaviour of the client underneath, input checks, diffs and delete.
 */
import { execFileSync } from "child_process";
import {
  GitCommitInputs,
  GitCommitState,
  gitBlobSha,
  gitCommitProvider,
  storedCommitInputs,
} from "../../components/github/commit-provider";
import { rateLimitWait } from "../../components/github/git-client";
import { FakeGitHubServer } from "./fake-github-server";
import { CapturedOutput, FAST, TOKEN, captureOutput, rejection } from "./helpers";

const provider = gitCommitProvider(FAST);
const SLUG = "acme-ml/churn-model";
const REPO = "/repos/acme-ml/churn-model";
const SUBJECT = "repository acme-ml/churn-model, branch main";
const SYNC_BRANCH = "platform/template-sync-abcd1234";
const WRONG = "ghp_wrong0c5e8a13d7f29b44";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const INITIAL = { "README.md": "# churn-model\n", LICENSE: "MIT License\n" };
const FILES = [
  { path: "src/churn_model/train.py", content: "def train():\n    return 'ok'\n" },
  { path: ".drone.yml", content: "kind: pipeline\nname: default\n" },
  { path: "README.md", content: "# churn-model\n\nScaffolded by the ML platform.\n" },
  { path: "src/churn_model/__init__.py", content: "" },
];
const PATHS = [
  ".drone.yml",
  "README.md",
  "src/churn_model/__init__.py",
  "src/churn_model/train.py",
];
/** The initial files with ours on top. */
const MERGED = {
  ".drone.yml": "kind: pipeline\nname: default\n",
  LICENSE: "MIT License\n",
  "README.md": "# churn-model\n\nScaffolded by the ML platform.\n",
  "src/churn_model/__init__.py": "",
  "src/churn_model/train.py": "def train():\n    return 'ok'\n",
};

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
    message: "Scaffold churn-model from the ml-service template",
    authorName: "ML Platform",
    authorEmail: "ml-platform@acme.example",
    ...overrides,
  };
}

/** The provider's create, its state typed. */
async function create(given: GitCommitInputs): Promise<{ id: string; outs: GitCommitState }> {
  const result = await provider.create(given);
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
  const everything = `${output.text()}\n${errors.join("\n")}`;
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(WRONG);
});

describe("create on the default branch", () => {
  test("writes every file as one commit on top of the initial commit", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const initial = github.head(SLUG, "main")!;
    const initialTree = github.commit(SLUG, initial).tree;
    const result = await create(inputs());

    expect(github.commitCount(SLUG, "main")).toBe(2);
    const head = github.head(SLUG, "main")!;
    const commit = github.commit(SLUG, head);
    expect(commit.parents).toEqual([initial]);
    expect(commit.message).toBe("Scaffold churn-model from the ml-service template");
    expect(commit.author).toMatchObject({ name: "ML Platform", email: "ml-platform@acme.example" });
    expect(github.filesOf(SLUG, "main")).toEqual(MERGED);

    expect(result.id).toBe(`acme-ml/churn-model@${head}`);
    expect(result.outs).toEqual({
      apiUrl: github.url,
      owner: "acme-ml",
      repository: "churn-model",
      branch: "main",
      commitSha: head,
      treeSha: commit.tree,
      paths: PATHS,
    });
    const kept = JSON.stringify(result);
    expect(kept).not.toContain(TOKEN);
    expect(kept).not.toContain("def train");
    expect(kept).not.toContain("kind: pipeline");

    expect(github.sequence()).toEqual([
      `GET ${REPO}/git/ref/heads/main`,
      `GET ${REPO}/git/commits/${initial}`,
      `POST ${REPO}/git/trees`,
      `POST ${REPO}/git/commits`,
      `PATCH ${REPO}/git/refs/heads/main`,
    ]);
    expect(github.requests.map((r) => r.status)).toEqual([200, 200, 201, 201, 200]);
    expect(github.requests.every((r) => r.authorized)).toBe(true);
    expect(github.requests[2].body).toEqual({
      base_tree: initialTree,
      tree: FILES.map((f) => ({ path: f.path, mode: "100644", type: "blob", content: f.content })),
    });
    expect(github.requests[3].body).toEqual({
      message: "Scaffold churn-model from the ml-service template",
      tree: commit.tree,
      parents: [initial],
      author: { name: "ML Platform", email: "ml-platform@acme.example" },
    });
    expect(github.requests[4].body).toEqual({ sha: head, force: false });
  });

  test("a repository GitHub does not show yet (404 twice) is read again, then written", async () => {
    github.addRepository(SLUG, { files: INITIAL, hiddenFor: 2 });
    const initial = github.head(SLUG, "main")!;
    const result = await create(inputs());
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET ${REPO}/git/ref/heads/main 404`,
      `GET ${REPO}/git/ref/heads/main 404`,
      `GET ${REPO}/git/ref/heads/main 200`,
      `GET ${REPO}/git/commits/${initial} 200`,
      `POST ${REPO}/git/trees 201`,
      `POST ${REPO}/git/commits 201`,
      `PATCH ${REPO}/git/refs/heads/main 200`,
    ]);
    expect(result.outs.commitSha).toBe(github.head(SLUG, "main"));
    expect(github.commitCount(SLUG, "main")).toBe(2);
    expect(github.filesOf(SLUG, "main")).toEqual(MERGED);
    expect(output.text()).toContain(
      `GitHub: GET ${REPO}/git/ref/heads/main: HTTP 404 (GitHub says: "Not Found"); retrying in`,
    );
  });

  test("a repository that stays empty (409) fails after maxAttempts, saying it needs an initial commit", async () => {
    github.addRepository(SLUG);
    const error = await failure(create(inputs()));
    expect(error.message).toMatch(
      /^GitHub: could not read the head of main \(repository acme-ml\/churn-model, branch main\): HTTP 409 \(GitHub says: "Git Repository is empty\."\), after 4 attempt\(s\) in \d+\.\d s\. The repository has no commit yet: it must be created with an initial commit \(autoInit\)\.$/,
    );
    expect(github.calls("GET", `${REPO}/git/ref/heads/main`).map((r) => r.status)).toEqual([
      409, 409, 409, 409,
    ]);
    expect(github.requests).toHaveLength(FAST.maxAttempts);
  });

  test("creating again after a lost answer makes no second commit and moves nothing", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const first = await create(inputs());
    github.requests.length = 0;
    const again = await create(inputs());
    expect(again).toEqual(first);
    expect(github.commitCount(SLUG, "main")).toBe(2);
    expect(github.head(SLUG, "main")).toBe(first.outs.commitSha);
    expect(github.sequence()).toEqual([
      `GET ${REPO}/git/ref/heads/main`,
      `GET ${REPO}/git/commits/${first.outs.commitSha}`,
    ]);
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`)).toHaveLength(0);
    expect(github.calls("POST", `${REPO}/git/commits`)).toHaveLength(0);
  });

  test("an initial commit that already holds the files is recorded, with no commit", async () => {
    github.addRepository(SLUG, { files: MERGED });
    const initial = github.head(SLUG, "main")!;
    const result = await create(inputs());
    expect(result.outs.commitSha).toBe(initial);
    expect(result.outs.treeSha).toBe(github.commit(SLUG, initial).tree);
    expect(github.commitCount(SLUG, "main")).toBe(1);
    expect(github.sequence()).toEqual([
      `GET ${REPO}/git/ref/heads/main`,
      `GET ${REPO}/git/commits/${initial}`,
      `POST ${REPO}/git/trees`,
    ]);
  });

  test("a ref update whose answer is lost (502 after it happened) is retried as a no-op", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({ method: "PATCH", count: 1, status: 502, afterServing: true });
    const result = await create(inputs());
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`).map((r) => r.status)).toEqual([
      502, 200,
    ]);
    expect(github.commitCount(SLUG, "main")).toBe(2);
    expect(result.outs.commitSha).toBe(github.head(SLUG, "main"));
  });
});

describe("a concurrent push", () => {
  test("the branch moved before the ref update: the commit is made again on the new head", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const initial = github.head(SLUG, "main")!;
    let pushed = "";
    github.before({
      method: "PATCH",
      pathPrefix: `${REPO}/git/refs/heads/main`,
      count: 1,
      run: () => {
        pushed = github.push(SLUG, "main", { "CONTRIBUTING.md": "Be kind.\n" });
      },
    });
    const result = await create(inputs());
    const head = github.head(SLUG, "main")!;
    expect(result.outs.commitSha).toBe(head);
    expect(github.commit(SLUG, head).parents).toEqual([pushed]);
    expect(github.commit(SLUG, pushed).parents).toEqual([initial]);
    expect(github.filesOf(SLUG, "main")).toEqual({ ...MERGED, "CONTRIBUTING.md": "Be kind.\n" });
    expect(github.commitCount(SLUG, "main")).toBe(3);
    expect(github.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET ${REPO}/git/ref/heads/main 200`,
      `GET ${REPO}/git/commits/${initial} 200`,
      `POST ${REPO}/git/trees 201`,
      `POST ${REPO}/git/commits 201`,
      `PATCH ${REPO}/git/refs/heads/main 422`,
      `GET ${REPO}/git/ref/heads/main 200`,
      `GET ${REPO}/git/commits/${pushed} 200`,
      `POST ${REPO}/git/trees 201`,
      `POST ${REPO}/git/commits 201`,
      `PATCH ${REPO}/git/refs/heads/main 200`,
    ]);
    expect(github.calls("POST", `${REPO}/git/commits`)[1].body?.parents).toEqual([pushed]);
  });

  test("a branch that keeps moving fails after conflictAttempts rounds", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    let pushes = 0;
    github.before({
      method: "PATCH",
      pathPrefix: `${REPO}/git/refs/heads/main`,
      count: Infinity,
      run: () => {
        pushes++;
        github.push(SLUG, "main", { [`notes/${pushes}.md`]: `push ${pushes}\n` });
      },
    });
    const error = await failure(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not move main to the new commit (${SUBJECT}): the branch kept moving during 3 attempts (HTTP 422). Run \`pulumi up\` again.`,
    );
    expect(error.stack).toBe(`GitHubError: ${error.message}`);
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`).map((r) => r.status)).toEqual([
      422, 422, 422,
    ]);
    expect(github.calls("POST", `${REPO}/git/commits`)).toHaveLength(FAST.conflictAttempts);
    // Only the other pushes landed.
    expect(github.commitCount(SLUG, "main")).toBe(1 + FAST.conflictAttempts);
    expect(github.filesOf(SLUG, "main")["src/churn_model/train.py"]).toBeUndefined();
  });

  test("a ref update refused for another reason (protection) fails at once with GitHub's reason", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const initial = github.head(SLUG, "main")!;
    github.inject({
      method: "PATCH",
      count: 1,
      status: 422,
      message: "Repository rule violations found",
    });
    const error = await failure(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not move main to the new commit (${SUBJECT}): HTTP 422 (GitHub says: "Repository rule violations found"). The branch must accept direct pushes from the platform's token while the repository is scaffolded: the platform adds its ruleset only after this commit.`,
    );
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`)).toHaveLength(1);
    expect(github.head(SLUG, "main")).toBe(initial);
  });
});

describe("create on a new branch (fromBranch)", () => {
  const SYNC_SUBJECT = `repository acme-ml/churn-model, branch ${SYNC_BRANCH}`;

  test("creates the branch from main with one commit carrying the files; main is unchanged", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const main = github.push(SLUG, "main", { "src/app.py": "print('hi')\n" });
    const mainFiles = github.filesOf(SLUG, "main");
    const result = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));

    expect(github.head(SLUG, "main")).toBe(main);
    expect(github.filesOf(SLUG, "main")).toEqual(mainFiles);
    const head = github.head(SLUG, SYNC_BRANCH)!;
    expect(github.commit(SLUG, head).parents).toEqual([main]);
    expect(github.commitCount(SLUG, SYNC_BRANCH)).toBe(3);
    expect(github.filesOf(SLUG, SYNC_BRANCH)).toEqual({
      ...MERGED,
      "src/app.py": "print('hi')\n",
    });
    expect(result.id).toBe(`acme-ml/churn-model@${head}`);
    expect(result.outs).toEqual({
      apiUrl: github.url,
      owner: "acme-ml",
      repository: "churn-model",
      branch: SYNC_BRANCH,
      fromBranch: "main",
      commitSha: head,
      treeSha: github.commit(SLUG, head).tree,
      paths: PATHS,
    });
    expect(github.sequence()).toEqual([
      `GET ${REPO}/git/ref/heads/main`,
      `GET ${REPO}/git/commits/${main}`,
      `POST ${REPO}/git/trees`,
      `POST ${REPO}/git/commits`,
      `POST ${REPO}/git/refs`,
    ]);
    expect(github.requests[4].body).toEqual({ ref: `refs/heads/${SYNC_BRANCH}`, sha: head });
  });

  test("a branch that exists with the same files is adopted", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const first = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    github.requests.length = 0;
    const again = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    expect(again).toEqual(first);
    expect(github.head(SLUG, SYNC_BRANCH)).toBe(first.outs.commitSha);
    expect(github.commitCount(SLUG, SYNC_BRANCH)).toBe(2);
    const created = github.calls("POST", `${REPO}/git/refs`);
    expect(created.map((r) => r.status)).toEqual([422]);
    // The commit made for the refused ref is not the one recorded.
    expect(created[0].body?.sha).not.toBe(first.outs.commitSha);
    expect(github.sequence().slice(-3)).toEqual([
      `GET ${REPO}/git/ref/heads/${SYNC_BRANCH}`,
      `GET ${REPO}/git/commits/${first.outs.commitSha}`,
      // An adopted sync branch may already have its pull request: looked up (none here).
      `GET ${REPO}/pulls`,
    ]);
    expect(github.requests.at(-1)!.query).toBe(
      `head=${encodeURIComponent(`acme-ml:${SYNC_BRANCH}`)}&base=main&state=open`,
    );
  });

  test("a branch creation whose answer is lost (502 after it happened) adopts the branch", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "POST",
      pathPrefix: `${REPO}/git/refs`,
      count: 1,
      status: 502,
      afterServing: true,
    });
    const result = await create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" }));
    expect(github.calls("POST", `${REPO}/git/refs`).map((r) => r.status)).toEqual([502, 422]);
    expect(result.outs.commitSha).toBe(github.head(SLUG, SYNC_BRANCH));
    expect(github.commitCount(SLUG, SYNC_BRANCH)).toBe(2);
  });

  test("a branch that exists with other content fails, and is left as it is", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const theirs = github.push(
      SLUG,
      SYNC_BRANCH,
      { "README.md": "edited by hand\n" },
      { from: "main" },
    );
    const error = await failure(create(inputs({ branch: SYNC_BRANCH, fromBranch: "main" })));
    expect(error.message).toContain("already exists with other content");
    expect(error.message).toBe(
      `GitHub: could not create branch ${SYNC_BRANCH} (${SYNC_SUBJECT}): it already exists with other content. Merge or delete it on GitHub, then run \`pulumi up\` again.`,
    );
    expect(github.head(SLUG, SYNC_BRANCH)).toBe(theirs);
    expect(github.filesOf(SLUG, SYNC_BRANCH)["README.md"]).toBe("edited by hand\n");
  });
});

describe("refusals and retries", () => {
  test("a wrong token fails at once with HTTP 401 and advice, never showing the token", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const error = await failure(create(inputs({ token: WRONG })));
    expect(error.message).toBe(
      `GitHub: could not read the head of main (${SUBJECT}): HTTP 401 (GitHub says: "Bad credentials"). GitHub refused the token: set a valid one with \`pulumi config set --secret mlplatform:githubToken\`, then run \`pulumi up\` again.`,
    );
    expect(error.message).toContain("HTTP 401");
    expect(error.message).toContain("mlplatform:githubToken");
    expect(error.message).not.toContain(WRONG);
    expect(error.stack).toBe(`GitHubError: ${error.message}`);
    expect(github.requests).toHaveLength(1);
    expect(github.requests[0].authorized).toBe(false);
    expect(output.text()).not.toContain(WRONG);
    expect(output.text()).not.toContain(TOKEN);
  });

  test("GitHub's message is shown with the token in it replaced", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({ count: 1, status: 401, message: `token ${TOKEN} is revoked` });
    const error = await failure(create(inputs()));
    expect(error.message).toContain('HTTP 401 (GitHub says: "token [secret] is revoked")');
    expect(error.message).not.toContain(TOKEN);
  });

  test("a secondary rate limit (403, retry-after: 0) is waited for, then the call succeeds", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "POST",
      pathPrefix: `${REPO}/git/trees`,
      count: 1,
      status: 403,
      message: "You have exceeded a secondary rate limit. Please wait a few minutes.",
      headers: { "retry-after": "0" },
    });
    const result = await create(inputs());
    expect(github.calls("POST", `${REPO}/git/trees`).map((r) => r.status)).toEqual([403, 201]);
    expect(result.outs.commitSha).toBe(github.head(SLUG, "main"));
    expect(github.filesOf(SLUG, "main")).toEqual(MERGED);
    expect(output.text()).toContain(
      `GitHub: POST ${REPO}/git/trees: HTTP 403 (GitHub says: "You have exceeded a secondary rate limit. Please wait a few minutes."); retrying in`,
    );
  });

  test("an exhausted primary rate limit that resets now is retried, then succeeds", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "POST",
      pathPrefix: `${REPO}/git/commits`,
      count: 1,
      status: 403,
      message: "API rate limit exceeded for user ID 1.",
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
      },
    });
    await create(inputs());
    expect(github.calls("POST", `${REPO}/git/commits`).map((r) => r.status)).toEqual([403, 201]);
    expect(github.commitCount(SLUG, "main")).toBe(2);
  });

  test("a 403 without rate-limit headers fails at once: the token lacks permission", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({
      method: "POST",
      pathPrefix: `${REPO}/git/trees`,
      count: 1,
      status: 403,
      message: "Resource not accessible by personal access token",
    });
    const error = await failure(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not write a tree of 4 files (${SUBJECT}): HTTP 403 (GitHub says: "Resource not accessible by personal access token"). The token lacks permission: it needs Contents read and write on the organisation's service repositories.`,
    );
    expect(github.calls("POST", `${REPO}/git/trees`)).toHaveLength(1);
    expect(github.commitCount(SLUG, "main")).toBe(1);
  });

  test.each([
    [429, { "retry-after": "5" }, 5],
    [403, { "retry-after": "60" }, 60],
    [403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": "LATER" }, 3600],
  ])(
    "a %i whose wait exceeds maxElapsedMs fails at once about the rate limit (%j)",
    async (status, headers, seconds) => {
      github.addRepository(SLUG, { files: INITIAL });
      const resolved = Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [
          k,
          v === "LATER" ? String(Math.floor(Date.now() / 1000) + 3600) : v,
        ]),
      );
      github.inject({
        method: "POST",
        pathPrefix: `${REPO}/git/trees`,
        count: 1,
        status,
        message: "API rate limit exceeded",
        headers: resolved,
      });
      const started = Date.now();
      const error = await failure(create(inputs()));
      expect(Date.now() - started).toBeLessThan(FAST.maxElapsedMs);
      expect(error.message).toMatch(
        new RegExp(
          `^GitHub: could not write a tree of 4 files \\(repository acme-ml/churn-model, branch main\\): HTTP ${status} \\(GitHub says: "API rate limit exceeded"\\), after 1 attempt\\(s\\) in \\d+\\.\\d s\\. GitHub's rate limit asks for (${seconds}|${seconds - 1}) s more; run \`pulumi up\` again later \\(it resumes where it stopped\\)\\.$`,
        ),
      );
      expect(github.calls("POST", `${REPO}/git/trees`)).toHaveLength(1);
      expect(github.commitCount(SLUG, "main")).toBe(1);
    },
  );

  test("three 502s then success: retried within maxAttempts", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({ method: "GET", pathPrefix: `${REPO}/git/commits/`, count: 3, status: 502 });
    await create(inputs());
    expect(
      github.requests.filter((r) => r.path.startsWith(`${REPO}/git/commits/`)).map((r) => r.status),
    ).toEqual([502, 502, 502, 200]);
    expect(github.commitCount(SLUG, "main")).toBe(2);
    expect(github.filesOf(SLUG, "main")).toEqual(MERGED);
  });

  test("persistent 5xx fails after maxAttempts, nothing written", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    github.inject({ method: "POST", pathPrefix: `${REPO}/git/commits`, count: 100, status: 503 });
    const error = await failure(create(inputs()));
    expect(error.message).toMatch(
      /^GitHub: could not create the commit \(repository acme-ml\/churn-model, branch main\): HTTP 503 \(GitHub says: "Service Unavailable"\), after 4 attempt\(s\) in \d+\.\d s\. Check that http:\/\/127\.0\.0\.1:\d+ is reachable, then run `pulumi up` again\.$/,
    );
    expect(github.calls("POST", `${REPO}/git/commits`)).toHaveLength(FAST.maxAttempts);
    expect(github.calls("PATCH", `${REPO}/git/refs/heads/main`)).toHaveLength(0);
    expect(github.commitCount(SLUG, "main")).toBe(1);
  });

  test("slow answers time out, are retried, and fail within the total time bound", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const policy = { ...FAST, requestTimeoutMs: 50, maxElapsedMs: 300, maxAttempts: 10 };
    github.inject({ method: "GET", count: 100, delayMs: 5_000 });
    const started = Date.now();
    const error = await failure(gitCommitProvider(policy).create(inputs()));
    const elapsed = Date.now() - started;
    expect(error.message).toMatch(
      /^GitHub: could not read the head of main \(repository acme-ml\/churn-model, branch main\): no response: no answer within \d+ ms, after \d+ attempt\(s\) in \d+\.\d s\. Check that http:\/\/127\.0\.0\.1:\d+ is reachable, then run `pulumi up` again\.$/,
    );
    const attempts = github.calls("GET", `${REPO}/git/ref/heads/main`).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(policy.maxAttempts);
    expect(elapsed).toBeLessThan(policy.maxElapsedMs + 1_000);
  });

  test("invalid inputs fail before any request, naming each field", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const error = await failure(
      create(inputs({ owner: "../x", files: [{ path: "/etc/passwd", content: "" }] })),
    );
    expect(error.message).toBe(
      [
        "GitCommit ../x/churn-model: invalid arguments:",
        '  owner: "../x" is not a GitHub name (letters, digits, . _ -)',
        '  files: path "/etc/passwd" must be relative and normalised (no leading /, no empty, . or .. segment)',
      ].join("\n"),
    );
    expect(github.requests).toHaveLength(0);
  });
});

describe("check", () => {
  type Check = NonNullable<typeof provider.check>;
  const check = (news: Partial<GitCommitInputs> | Record<string, unknown>) =>
    (provider.check as Check)({} as GitCommitInputs, { ...inputs(), ...news } as GitCommitInputs);

  test("valid inputs have no failures and are passed on as they are", async () => {
    const news = inputs({ branch: SYNC_BRANCH, fromBranch: "main" });
    expect(await (provider.check as Check)({} as GitCommitInputs, news)).toEqual({
      inputs: news,
      failures: [],
    });
    expect((await check({ apiUrl: "https://github.acme.example/api/v3" })).failures).toEqual([]);
    expect((await check({ apiUrl: "http://localhost:8080" })).failures).toEqual([]);
  });

  const big = "é".repeat(500_001); // 1,000,002 bytes in 500,001 characters
  const many = Array.from({ length: 1001 }, (_, i) => ({ path: `f/${i}.txt`, content: "x" }));
  test.each<[string, Record<string, unknown>, string, string]>([
    [
      "apiUrl over http to another host",
      { apiUrl: "http://api.github.example" },
      "apiUrl",
      '"http://api.github.example" is not an https URL without credentials (set mlplatform:githubApiUrl)',
    ],
    [
      "apiUrl with credentials",
      { apiUrl: "https://bot:pass@api.github.com" },
      "apiUrl",
      '"https://bot:pass@api.github.com" is not an https URL without credentials (set mlplatform:githubApiUrl)',
    ],
    [
      "an empty token",
      { token: "" },
      "token",
      "missing (set it with `pulumi config set --secret mlplatform:githubToken`)",
    ],
    [
      "owner ../x",
      { owner: "../x" },
      "owner",
      '"../x" is not a GitHub name (letters, digits, . _ -)',
    ],
    ["branch main..x", { branch: "main..x" }, "branch", '"main..x" is not a valid branch name'],
    [
      "a branch ending in .lock",
      { branch: "release.lock" },
      "branch",
      '"release.lock" is not a valid branch name',
    ],
    [
      "fromBranch equal to branch",
      { branch: "main", fromBranch: "main" },
      "fromBranch",
      "must differ from branch (the branch is created from it)",
    ],
    [
      "an absolute path",
      { files: [{ path: "/etc/passwd", content: "x" }] },
      "files",
      'path "/etc/passwd" must be relative and normalised (no leading /, no empty, . or .. segment)',
    ],
    [
      "a path with ..",
      { files: [{ path: "a/../b", content: "x" }] },
      "files",
      'path "a/../b" must be relative and normalised (no leading /, no empty, . or .. segment)',
    ],
    [
      "a path in .git",
      { files: [{ path: ".git/config", content: "x" }] },
      "files",
      'path ".git/config" is inside .git',
    ],
    [
      "a path in .GIT, any case, any depth",
      { files: [{ path: "A/.GIT/hooks/x", content: "x" }] },
      "files",
      'path "A/.GIT/hooks/x" is inside .git',
    ],
    [
      "a path given twice",
      {
        files: [
          { path: "README.md", content: "a" },
          { path: "README.md", content: "b" },
        ],
      },
      "files",
      "path README.md is given twice",
    ],
    [
      "content that is not text",
      { files: [{ path: "README.md", content: 42 }] },
      "files",
      "README.md: content must be text",
    ],
    [
      "a file over 1,000,000 bytes",
      { files: [{ path: "data/big.txt", content: big }] },
      "files",
      "data/big.txt: larger than 1000000 bytes",
    ],
    ["no file", { files: [] }, "files", "at least one file is needed"],
    ["1001 files", { files: many }, "files", "1001 files, at most 1000 in one commit"],
    ["authorEmail nope", { authorEmail: "nope" }, "authorEmail", '"nope" is not an e-mail address'],
    [
      "a blob that is not a git sha",
      { files: [{ path: "README.md", blob: "ABC123" }] },
      "files",
      "README.md: blob must be a git blob sha (40 lowercase hex digits)",
    ],
    [
      "both content and blob",
      { files: [{ path: "README.md", content: "x", blob: "0".repeat(40) }] },
      "files",
      "README.md: content and blob are exclusive",
    ],
  ])("%s is exactly one failure", async (_what, news, property, reason) => {
    expect((await check(news)).failures).toEqual([{ property, reason }]);
  });

  test("limits are inclusive: 1000 files and a file of exactly 1,000,000 bytes pass", async () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => ({ path: `f/${i}.txt`, content: "" }));
    expect((await check({ files: thousand })).failures).toEqual([]);
    const exact = [{ path: "data/exact.txt", content: "é".repeat(500_000) }];
    expect((await check({ files: exact })).failures).toEqual([]);
  });

  test("an input not known yet (preview) is not a failure", async () => {
    expect((await check({ repository: UNKNOWN, owner: UNKNOWN })).failures).toEqual([]);
  });
});

describe("diff", () => {
  const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };

  async function created(overrides: Partial<GitCommitInputs> = {}): Promise<GitCommitState> {
    github.addRepository(SLUG, { files: INITIAL });
    return (await create(inputs(overrides))).outs;
  }

  test("identical inputs, or other files, message or token only, are no change", async () => {
    const olds = await created();
    const diff = (o: Partial<GitCommitInputs>) => provider.diff!("id", olds, inputs(o));
    expect(await diff({})).toEqual(NO_CHANGE);
    expect(await diff({ files: [{ path: "other.txt", content: "other" }] })).toEqual(NO_CHANGE);
    expect(await diff({ message: "Another message" })).toEqual(NO_CHANGE);
    expect(await diff({ token: `${TOKEN}-rotated` })).toEqual(NO_CHANGE);
    expect(await diff({ authorName: "Someone", authorEmail: "someone@acme.example" })).toEqual(
      NO_CHANGE,
    );
  });

  test.each<[keyof GitCommitInputs, string]>([
    ["repository", "demand-forecast"],
    ["branch", "develop"],
    ["fromBranch", "develop"],
    ["owner", "acme-research"],
    ["apiUrl", "https://github.acme.example/api/v3"],
    ["repository", UNKNOWN],
  ])("a change of %s to %s replaces exactly that field", async (key, value) => {
    const olds = await created();
    expect(await provider.diff!("id", olds, inputs({ [key]: value }))).toEqual({
      changes: true,
      replaces: [key],
      deleteBeforeReplace: false,
    });
  });

  test("dropping fromBranch replaces", async () => {
    const olds = await created({ branch: SYNC_BRANCH, fromBranch: "main" });
    expect(olds.fromBranch).toBe("main");
    expect(await provider.diff!("id", olds, inputs({ branch: SYNC_BRANCH }))).toEqual({
      changes: true,
      replaces: ["fromBranch"],
      deleteBeforeReplace: false,
    });
  });
});

describe("update and delete", () => {
  test("delete makes no request at all", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const { id, outs } = await create(inputs());
    const head = github.head(SLUG, "main");
    github.requests.length = 0;
    await expect(provider.delete!(id, outs)).resolves.toBeUndefined();
    expect(github.requests).toHaveLength(0);
    expect(github.head(SLUG, "main")).toBe(head);
  });

  test("update keeps the recorded state and makes no request", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const { id, outs } = await create(inputs());
    github.requests.length = 0;
    const updated = await provider.update!(id, outs, inputs({ message: "changed" }));
    expect(updated).toEqual({ outs });
    expect(github.requests).toHaveLength(0);
  });
});

describe("rateLimitWait", () => {
  test("reads retry-after, then an exhausted primary limit, and nothing else", () => {
    const now = 1_000_000_000_000;
    expect(rateLimitWait(403, { "retry-after": "7" }, now)).toBe(7000);
    expect(
      rateLimitWait(
        403,
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(now / 1000 + 30) },
        now,
      ),
    ).toBe(30_000);
    // A 429 without either header is a secondary limit: "wait for at least one minute".
    expect(rateLimitWait(429, {}, now)).toBe(60_000);
    expect(rateLimitWait(403, { "x-ratelimit-remaining": "12" }, now)).toBeUndefined();
    expect(rateLimitWait(404, { "retry-after": "7" }, now)).toBeUndefined();
  });
});

describe("the files in the state: blob shas once the commit exists", () => {
  type Check = NonNullable<typeof provider.check>;
  const check = (olds: unknown, news: unknown) =>
    (provider.check as Check)(olds as GitCommitInputs, news as GitCommitInputs);
  /** `git hash-object` of a content: the real tool's blob sha. */
  const hashObject = (content: string) =>
    execFileSync("git", ["hash-object", "--stdin"], { input: content }).toString().trim();
  const HASHED = () => FILES.map((f) => ({ path: f.path, blob: hashObject(f.content) }));

  test("gitBlobSha is git's blob id (git hash-object), multi-byte and empty content included", () => {
    for (const content of ["", "kind: pipeline\n", "é ü 🚀\n", "no newline"]) {
      expect(gitBlobSha(content)).toBe(hashObject(content));
    }
    expect(gitBlobSha("")).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  });

  test("a new commit (no old inputs) keeps the contents create needs", async () => {
    expect(await check({}, inputs())).toEqual({ inputs: inputs(), failures: [] });
    expect(storedCommitInputs(undefined, { ...inputs() })).toEqual(inputs());
  });

  test("an existing commit whose state holds contents (written before) stores blob shas", async () => {
    const checked = await check(inputs(), inputs());
    expect(checked.failures).toEqual([]);
    expect(checked.inputs).toEqual({ ...inputs(), files: HASHED() });
    expect(JSON.stringify(checked.inputs)).not.toContain("def train()");
    // The token stays an input (the engine keeps it secret); nothing but files changes.
    expect((checked.inputs as GitCommitInputs).token).toBe(TOKEN);
  });

  test("an existing commit whose state holds blob shas keeps them as they are", async () => {
    const hashed = { ...inputs(), files: HASHED() };
    // ignoreChanges hands the old files back as the new ones.
    expect(await check(hashed, hashed)).toEqual({ inputs: hashed, failures: [] });
    // New contents for the same target are stored as their blob shas too.
    expect((await check(hashed, inputs())).inputs).toEqual(hashed);
  });

  test.each<[string, Partial<GitCommitInputs> | Record<string, unknown>]>([
    ["another repository", { repository: "churn-model-2" }],
    ["another owner", { owner: "acme-ml-2" }],
    ["another branch", { branch: "trunk" }],
    ["another API URL", { apiUrl: "https://github.acme.example/api/v3" }],
    ["a fromBranch added", { branch: SYNC_BRANCH, fromBranch: "main" }],
    ["a repository not known yet (preview)", { repository: UNKNOWN }],
  ])("a replacement (%s) keeps the contents: it makes a new commit", async (_what, change) => {
    const news = { ...inputs(), ...change };
    expect((await check(inputs(), news)).inputs).toEqual(news);
  });

  test("inputs with failures are passed on as they are, with the failures", async () => {
    const news = { ...inputs(), branch: "" };
    const checked = await check(inputs(), news);
    expect(checked.inputs).toEqual(news);
    expect(checked.failures).toEqual([{ property: "branch", reason: "missing" }]);
  });

  test("a stored commit diffs as no change against blob shas and against contents", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const { outs } = await create(inputs());
    const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: false };
    expect(await provider.diff!("id", outs, { ...inputs(), files: HASHED() })).toEqual(NO_CHANGE);
    expect(await provider.diff!("id", outs, inputs())).toEqual(NO_CHANGE);
    expect(
      await provider.diff!("id", outs, { ...inputs(), files: HASHED(), branch: "trunk" }),
    ).toEqual({ changes: true, replaces: ["branch"], deleteBeforeReplace: false });
  });

  test("create from blob shas the repository holds (a recreated sync branch) writes those files", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    await create(inputs()); // the scaffold: the repository now holds the blobs
    const main = github.head(SLUG, "main")!;
    github.requests.length = 0;
    const result = await create({
      ...inputs({ branch: SYNC_BRANCH, fromBranch: "main" }),
      files: HASHED(),
    });
    const head = github.head(SLUG, SYNC_BRANCH)!;
    expect(github.commit(SLUG, head).parents).toEqual([main]);
    expect(github.filesOf(SLUG, SYNC_BRANCH)).toEqual(MERGED);
    expect(result.outs.paths).toEqual(PATHS);
    const tree = github.calls("POST", `${REPO}/git/trees`)[0].body as { tree: unknown[] };
    expect(tree.tree).toEqual(
      HASHED().map((f) => ({ path: f.path, mode: "100644", type: "blob", sha: f.blob })),
    );
  });

  test("create from blob shas the repository does not hold fails, naming the files and the way out", async () => {
    github.addRepository(SLUG, { files: INITIAL });
    const error = await failure(
      create({ ...inputs({ branch: SYNC_BRANCH, fromBranch: "main" }), files: HASHED() }),
    );
    expect(error.message).toBe(
      `GitHub: could not write the tree (repository acme-ml/churn-model, branch ${SYNC_BRANCH}): HTTP 422 (GitHub says: "Invalid tree info"). files: the state keeps only the blob shas of 4 file(s) (src/churn_model/train.py, .drone.yml, README.md, ...), and the repository does not hold them. Run \`pulumi up --replace <this GitCommit's URN>\`: a targeted replacement commits the files as the program renders them now.`,
    );
    expect(error.message).not.toContain("    at ");
    expect(github.head(SLUG, SYNC_BRANCH)).toBeUndefined();
    expect(github.calls("POST", `${REPO}/git/commits`)).toEqual([]);
  });
});
