/**
 * The GitCommit provider over real HTTP against a local server speaking GitHub's Git data API:
 * one commit per repository, retries, conflicts, rate limits, errors without the token, input
 * checks and the diff.
 */
import {
  commitProblems,
  diffCommit,
  gitCommitProvider,
  GitCommitInputs,
  GitCommitState,
} from "../../components/github/commit-provider";
import { rateLimitWait } from "../../components/github/git-client";
import { rejection } from "../drone/helpers";
import { FAST, quietly, TOKEN } from "./helpers";
import { FakeGitServer } from "./fake-git-server";

const SLUG = "acme-ml/churn-model";
const INITIAL = { "README.md": "# churn-model\n" };
const FILES = [
  { path: "README.md", content: "# Churn model\nscaffolded\n" },
  { path: ".drone.yml", content: "kind: pipeline\n" },
  { path: "src/churn_model/model.py", content: "def train():\n    return 1\n" },
];

let git: FakeGitServer;
const provider = gitCommitProvider(FAST);

function inputs(over: Partial<GitCommitInputs> = {}): GitCommitInputs {
  return {
    apiUrl: git.url,
    token: TOKEN,
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    files: FILES,
    message: "Scaffold the service from the ML platform template",
    authorName: "ML platform",
    authorEmail: "ml-platform@users.noreply.github.com",
    ...over,
  };
}

/** The provider's create, with the outputs it always returns. */
async function create(i: GitCommitInputs): Promise<{ id: string; outs: GitCommitState }> {
  const result = await provider.create(i);
  return { id: result.id, outs: result.outs as GitCommitState };
}

const asMap = (files: { path: string; content: string }[]) =>
  Object.fromEntries(files.map((f) => [f.path, f.content]));

beforeAll(async () => {
  git = await FakeGitServer.start(TOKEN);
});
afterAll(() => git.stop());
beforeEach(() => git.reset());

describe("create on the default branch", () => {
  test("writes every file in one commit on top of the initial commit, with four requests", async () => {
    git.addRepository(SLUG, INITIAL);
    const initial = git.head(SLUG, "main")!;
    const result = await create(inputs());
    const head = git.head(SLUG, "main")!;
    expect(git.files(SLUG, "main")).toEqual({ ...INITIAL, ...asMap(FILES) });
    const [commit, parent] = git.history(SLUG, "main");
    expect(git.history(SLUG, "main")).toHaveLength(2);
    expect(commit.parents).toEqual([initial]);
    expect(parent.message).toBe("Initial commit");
    expect(commit.message).toBe("Scaffold the service from the ML platform template");
    expect(commit.author).toEqual({
      name: "ML platform",
      email: "ml-platform@users.noreply.github.com",
    });
    expect(result.id).toBe(`${SLUG}@${head}`);
    expect(result.outs).toEqual({
      apiUrl: git.url,
      owner: "acme-ml",
      repository: "churn-model",
      branch: "main",
      commitSha: head,
      treeSha: git.commits.get(head)!.tree,
      paths: [".drone.yml", "README.md", "src/churn_model/model.py"],
    });
    // Neither the token nor any content is kept in the outputs.
    expect(JSON.stringify(result.outs)).not.toContain(TOKEN);
    expect(JSON.stringify(result.outs)).not.toContain("scaffolded");
    expect(git.calls()).toEqual([
      "GET /repos/acme-ml/churn-model/git/ref/heads/main",
      `GET /repos/acme-ml/churn-model/git/commits/${initial}`,
      "POST /repos/acme-ml/churn-model/git/trees",
      "POST /repos/acme-ml/churn-model/git/commits",
      "PATCH /repos/acme-ml/churn-model/git/refs/heads/main",
    ]);
    expect(git.requests.every((r) => r.authorized)).toBe(true);
    expect(git.requests[2].body).toEqual({
      base_tree: git.commits.get(initial)!.tree,
      tree: FILES.map((f) => ({ path: f.path, mode: "100644", type: "blob", content: f.content })),
    });
    expect(git.requests[4].body).toEqual({ sha: head, force: false });
  });

  test("waits for a repository GitHub has not finished creating (404, then 409 while empty)", async () => {
    git.addRepository(SLUG, INITIAL, 2);
    git.fault({
      method: "GET",
      pathIncludes: "/git/ref/",
      count: 1,
      status: 409,
      message: "Git Repository is empty.",
    });
    const { printed } = await quietly(() => create(inputs()));
    expect(git.files(SLUG, "main")).toEqual({ ...INITIAL, ...asMap(FILES) });
    expect(git.requests.slice(0, 4).map((r) => r.status)).toEqual([409, 404, 404, 200]);
    expect(printed).toContain("retrying");
    expect(printed).not.toContain(TOKEN);
  });

  test("writes nothing on a branch with history of its own (a retried create, a repository scaffolded before)", async () => {
    git.addRepository(SLUG, INITIAL);
    await create(inputs());
    const head = git.head(SLUG, "main")!;
    git.requests.length = 0;
    const { result: again, printed } = await quietly(() =>
      create(inputs({ files: [{ path: "README.md", content: "other\n" }] })),
    );
    expect(git.head(SLUG, "main")).toBe(head);
    expect(git.files(SLUG, "main")["README.md"]).toBe("# Churn model\nscaffolded\n");
    expect(again.outs.commitSha).toBe(head);
    expect(git.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
    expect(printed).toContain("already has commits beyond its initial one");
  });

  test("rebuilds the commit on the new head when someone pushed meanwhile", async () => {
    git.addRepository(SLUG, INITIAL);
    let pushed = "";
    git.before("PATCH", "/git/refs/heads/main", () => {
      pushed = git.push(SLUG, "main", { "NOTES.md": "x\n" });
    });
    const result = await create(inputs());
    const [ours, theirs] = git.history(SLUG, "main");
    expect(git.files(SLUG, "main")).toEqual({ ...INITIAL, "NOTES.md": "x\n", ...asMap(FILES) });
    expect(theirs.message).toBe("someone else");
    expect(ours.parents).toEqual([pushed]);
    expect(git.history(SLUG, "main")).toHaveLength(3);
    expect(result.outs.commitSha).toBe(git.head(SLUG, "main"));
    expect(git.requests.filter((r) => r.method === "PATCH").map((r) => r.status)).toEqual([
      422, 200,
    ]);
  });

  test("gives up after conflictAttempts rounds when the branch keeps moving", async () => {
    git.addRepository(SLUG, INITIAL);
    let n = 0;
    git.before(
      "PATCH",
      "/git/refs/heads/main",
      () => git.push(SLUG, "main", { [`n${n++}`]: "x" }),
      10,
    );
    const error = await rejection(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not move main to the new commit (repository ${SLUG}, branch main): the branch kept moving during 3 attempts (HTTP 422). Run \`pulumi up\` again.`,
    );
    expect(git.requests.filter((r) => r.method === "PATCH")).toHaveLength(3);
    expect(git.files(SLUG, "main")["src/churn_model/model.py"]).toBeUndefined();
  });
});

describe("create of a sync branch (fromBranch)", () => {
  const SYNC = "platform/template-sync-abcd1234";

  test("creates the branch from main's head with one commit of the files; main unchanged", async () => {
    git.addRepository(SLUG, INITIAL);
    const main = git.head(SLUG, "main")!;
    const files = [{ path: "Dockerfile", content: "FROM base\n" }];
    const result = await create(inputs({ branch: SYNC, fromBranch: "main", files }));
    expect(git.head(SLUG, "main")).toBe(main);
    expect(git.files(SLUG, SYNC)).toEqual({ ...INITIAL, Dockerfile: "FROM base\n" });
    expect(git.history(SLUG, SYNC)[0].parents).toEqual([main]);
    expect(result.outs).toMatchObject({ branch: SYNC, fromBranch: "main", paths: ["Dockerfile"] });
    expect(git.calls().slice(-1)).toEqual(["POST /repos/acme-ml/churn-model/git/refs"]);
    expect(git.requests.slice(-1)[0].body).toEqual({
      ref: `refs/heads/${SYNC}`,
      sha: result.outs.commitSha,
    });
  });

  test("adopts an existing sync branch with the same files, refuses one with other content", async () => {
    git.addRepository(SLUG, INITIAL);
    const files = [{ path: "Dockerfile", content: "FROM base\n" }];
    const first = await create(inputs({ branch: SYNC, fromBranch: "main", files }));
    const again = await create(inputs({ branch: SYNC, fromBranch: "main", files }));
    expect(again.outs.commitSha).toBe(first.outs.commitSha);
    expect(git.head(SLUG, SYNC)).toBe(first.outs.commitSha);
    const error = await rejection(
      create(
        inputs({
          branch: SYNC,
          fromBranch: "main",
          files: [{ path: "Dockerfile", content: "FROM other\n" }],
        }),
      ),
    );
    expect(error.message).toBe(
      `GitHub: could not create branch ${SYNC} (repository ${SLUG}, branch ${SYNC}): it already exists with other content. Merge or delete it on GitHub, then run \`pulumi up\` again.`,
    );
    expect(git.head(SLUG, SYNC)).toBe(first.outs.commitSha);
  });
});

describe("failures", () => {
  test("a wrong token fails at once with advice, and never shows a token", async () => {
    git.addRepository(SLUG, INITIAL);
    const wrong = "ghp_wrongtoken99887766";
    const { result: error, printed } = await quietly(() =>
      rejection(create(inputs({ token: wrong }))),
    );
    expect(error.message).toBe(
      `GitHub: could not read the head of main (repository ${SLUG}, branch main): HTTP 401 (GitHub says: "Bad credentials"). GitHub refused the token: set a valid one with \`pulumi config set --secret mlplatform:githubToken\`, then run \`pulumi up\` again.`,
    );
    expect(git.requests).toHaveLength(1);
    expect(`${error.message}${error.stack}${printed}`).not.toContain(wrong);
  });

  test("a 403 without rate-limit headers is a permission problem: no retry", async () => {
    git.addRepository(SLUG, INITIAL);
    git.fault({
      method: "POST",
      pathIncludes: "/git/trees",
      count: 5,
      status: 403,
      message: "Resource not accessible by integration",
    });
    const error = await rejection(create(inputs()));
    expect(error.message).toContain(
      'HTTP 403 (GitHub says: "Resource not accessible by integration")',
    );
    expect(error.message).toContain("Contents read and write");
    expect(git.requests.filter((r) => r.path.endsWith("/git/trees"))).toHaveLength(1);
  });

  test("rate limits are waited out as GitHub asks: secondary (retry-after) and primary (reset)", async () => {
    git.addRepository(SLUG, INITIAL);
    git.fault({
      method: "POST",
      pathIncludes: "/git/trees",
      count: 1,
      status: 403,
      message: "You have exceeded a secondary rate limit",
      headers: { "retry-after": "0" },
    });
    git.fault({
      method: "POST",
      pathIncludes: "/git/commits",
      count: 1,
      status: 429,
      headers: {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000)),
      },
    });
    await quietly(() => create(inputs()));
    expect(git.files(SLUG, "main")).toEqual({ ...INITIAL, ...asMap(FILES) });
    expect(git.requests.filter((r) => r.status === 403 || r.status === 429)).toHaveLength(2);
  });

  test("a rate limit that outlasts the retry window fails, saying how long GitHub asks to wait", async () => {
    git.addRepository(SLUG, INITIAL);
    git.fault({
      method: "POST",
      pathIncludes: "/git/trees",
      count: 5,
      status: 403,
      message: "secondary rate limit",
      headers: { "retry-after": "60" },
    });
    const error = await rejection(create(inputs()));
    expect(error.message).toMatch(
      /^GitHub: could not write a tree of 3 files \(repository acme-ml\/churn-model, branch main\): HTTP 403 \(GitHub says: "secondary rate limit"\), after 1 attempt\(s\) in [0-9.]+ s\. GitHub's rate limit asks for 60 s more; run `pulumi up` again later \(it resumes where it stopped\)\.$/,
    );
  });

  test("5xx are retried; a persistent one fails after maxAttempts", async () => {
    git.addRepository(SLUG, INITIAL);
    git.fault({ method: "POST", pathIncludes: "/git/commits", count: 2, status: 502 });
    await quietly(() => create(inputs()));
    expect(git.files(SLUG, "main")).toEqual({ ...INITIAL, ...asMap(FILES) });
    git.reset();
    git.addRepository(SLUG, INITIAL);
    git.fault({ method: "POST", pathIncludes: "/git/trees", count: 10, status: 500 });
    const { result: error } = await quietly(() => rejection(create(inputs())));
    expect(error.message).toMatch(/HTTP 500 .*after 4 attempt\(s\)/);
    expect(git.requests.filter((r) => r.path.endsWith("/git/trees"))).toHaveLength(4);
  });

  test("invalid inputs are refused before any request, every problem named", async () => {
    const error = await rejection(
      create(inputs({ branch: "main..x", files: [{ path: "../escape", content: "x" }] })),
    );
    expect(error.message).toBe(
      [
        "GitCommit acme-ml/churn-model: invalid arguments:",
        '  branch: "main..x" is not a valid branch name',
        '  files: path "../escape" must be relative and normalised (no leading /, no empty, . or .. segment)',
      ].join("\n"),
    );
    expect(git.requests).toEqual([]);
  });

  test("delete makes no request: a commit is history", async () => {
    await provider.delete!(`${SLUG}@abc`, {
      apiUrl: git.url,
      owner: "acme-ml",
      repository: "churn-model",
      branch: "main",
      commitSha: "abc",
      treeSha: "def",
      paths: [],
    });
    expect(git.requests).toEqual([]);
  });
});

describe("check", () => {
  const base = (): Record<string, unknown> => ({ ...inputs(), apiUrl: "https://api.github.com" });
  const fields = (over: Record<string, unknown>) =>
    commitProblems({ ...base(), ...over }).map((p) => `${p.field}: ${p.reason}`);

  test("accepts valid inputs, and GitHub Enterprise Server and loopback URLs", async () => {
    expect(commitProblems(base())).toEqual([]);
    expect(fields({ apiUrl: "https://github.acme.example/api/v3" })).toEqual([]);
    expect(fields({ apiUrl: "http://127.0.0.1:8080" })).toEqual([]);
    const checked = await provider.check!(
      {} as GitCommitInputs,
      base() as unknown as GitCommitInputs,
    );
    expect(checked.failures).toEqual([]);
  });

  const cases: [Record<string, unknown>, string][] = [
    [{ apiUrl: "http://api.github.com" }, "apiUrl"],
    [{ apiUrl: "https://user:pw@api.github.com" }, "apiUrl"],
    [{ apiUrl: "https://api.github.com?x=1" }, "apiUrl"],
    [{ token: "" }, "token"],
    [{ owner: "../x" }, "owner"],
    [{ repository: "a b" }, "repository"],
    [{ branch: "main..x" }, "branch"],
    [{ branch: "feature.lock" }, "branch"],
    [{ branch: "-x" }, "branch"],
    [{ branch: "a//b" }, "branch"],
    [{ fromBranch: "main" }, "fromBranch"],
    [{ message: " " }, "message"],
    [{ authorEmail: "nope" }, "authorEmail"],
    [{ files: [] }, "files"],
    [{ files: [{ path: "/etc/passwd", content: "x" }] }, "files"],
    [{ files: [{ path: "a/../b", content: "x" }] }, "files"],
    [{ files: [{ path: ".git/config", content: "x" }] }, "files"],
    [{ files: [{ path: "A/.GIT/hooks/x", content: "x" }] }, "files"],
    [{ files: [{ path: "a\\b", content: "x" }] }, "files"],
    [{ files: [{ path: "a", content: 1 }] }, "files"],
    [{ files: [{ path: "big", content: "x".repeat(1_000_001) }] }, "files"],
    [
      {
        files: [
          { path: "a", content: "x" },
          { path: "a", content: "y" },
        ],
      },
      "files",
    ],
    [{ files: Array.from({ length: 1001 }, (_, i) => ({ path: `f${i}`, content: "" })) }, "files"],
  ];
  test.each(
    cases.map(([over, field]) => [field, JSON.stringify(over).slice(0, 60), over] as const),
  )("%s: refuses %s", async (field, _label, over) => {
    const problems = commitProblems({ ...base(), ...over });
    expect(problems.map((p) => p.field)).toEqual([field]);
    const checked = await provider.check!(
      {} as GitCommitInputs,
      { ...base(), ...over } as unknown as GitCommitInputs,
    );
    expect(checked.failures).toEqual(
      problems.map((p) => ({ property: p.field, reason: p.reason })),
    );
  });

  test("names the problem precisely", () => {
    expect(
      fields({
        files: [
          { path: "a", content: "x" },
          { path: "a", content: "y" },
        ],
      }),
    ).toEqual(["files: path a is given twice"]);
    expect(fields({ files: [{ path: ".git/config", content: "x" }] })).toEqual([
      'files: path ".git/config" is inside .git',
    ]);
    expect(fields({ token: "" })).toEqual([
      "token: missing (set it with `pulumi config set --secret mlplatform:githubToken`)",
    ]);
  });
});

describe("diff", () => {
  const old = () =>
    ({ ...inputs(), apiUrl: "https://api.github.com" }) as unknown as Record<string, unknown>;

  test("files, message, author and token changes change nothing", () => {
    expect(
      diffCommit(old(), {
        ...old(),
        files: [{ path: "x", content: "y" }],
        message: "other",
        authorName: "someone",
        token: "ghp_rotated",
      }),
    ).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });

  test.each(["apiUrl", "owner", "repository", "branch", "fromBranch"])(
    "a new %s replaces (a new commit there, nothing deleted)",
    (key) => {
      expect(diffCommit(old(), { ...old(), [key]: "other" })).toEqual({
        changes: true,
        replaces: [key],
        deleteBeforeReplace: false,
      });
    },
  );

  test("an unknown repository during preview is a replacement", () => {
    expect(
      diffCommit(old(), { ...old(), repository: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }).replaces,
    ).toEqual(["repository"]);
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
    expect(rateLimitWait(429, {}, now)).toBe(0);
    expect(rateLimitWait(403, { "x-ratelimit-remaining": "12" }, now)).toBeUndefined();
    expect(rateLimitWait(404, { "retry-after": "7" }, now)).toBeUndefined();
  });
});

describe("a branch that never appears", () => {
  test("gives up after the retries with the advice for its status, not a network hint", async () => {
    git.addRepository(SLUG, INITIAL);
    const { result: error } = await quietly(() => rejection(create(inputs({ branch: "trunk" }))));
    expect(error.message).toMatch(
      /^GitHub: could not read the head of trunk \(repository acme-ml\/churn-model, branch trunk\): HTTP 404 \(GitHub says: "Not Found"\), after 4 attempt\(s\) in [0-9.]+ s\. GitHub does not show it to this token: check the organisation, the repository name and the token's repository access\.$/,
    );
    expect(git.requests).toHaveLength(4);
  });
});

describe("check during a preview", () => {
  test("an unknown repository name is not a failure; a known bad one is", async () => {
    const unknown = { ...inputs(), repository: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" };
    expect((await provider.check!(inputs(), unknown)).failures).toEqual([]);
    const bad = { ...inputs(), repository: "a b" };
    expect(((await provider.check!(inputs(), bad)).failures ?? []).map((f) => f.property)).toEqual([
      "repository",
    ]);
  });
});

describe("a branch that refuses direct pushes", () => {
  test("fails at once with GitHub's reason instead of retrying as a race", async () => {
    git.addRepository(SLUG, INITIAL);
    git.fault({
      method: "PATCH",
      pathIncludes: "/git/refs/heads/main",
      count: 5,
      status: 422,
      message: "Repository rule violations found",
    });
    const error = await rejection(create(inputs()));
    expect(error.message).toBe(
      `GitHub: could not move main to the new commit (repository ${SLUG}, branch main): HTTP 422 (GitHub says: "Repository rule violations found"). The branch must accept direct pushes from the platform's token while the repository is scaffolded: the platform adds its ruleset only after this commit.`,
    );
    expect(git.requests.filter((r) => r.method === "PATCH")).toHaveLength(1);
  });
});
