/**
 * The commit provider as the engine runs it: Pulumi serializes the provider object into the state
 * and the provider host loads that text with plain node (no TypeScript, no project modules). Here
 * the serialized text is written to a temporary directory outside the project and run by a plain
 * `node` child process against the fake GitHub server (the state of stacks deployed before the
 * provider package held that text). The one-line provider text the state keeps now: the last block.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requiredModules, runSerialized, writeSerialized } from "../helpers/serialized-provider";
import { providerText } from "../../components/dynamic-providers";
import { gitBlobSha, gitCommitProvider } from "../../components/github/commit-provider";
import { FakeGitHubServer } from "./fake-github-server";
import { FAST, TOKEN } from "./helpers";

/**
 * FAST, with room for a fresh node process to load fetch (undici, loaded on first use) on a busy
 * machine before its first attempt times out.
 */
const CHILD_LIMITS = { ...FAST, requestTimeoutMs: 10_000, maxElapsedMs: 30_000 };

const SLUG = "acme-ml/churn-model";
const REPO = "/repos/acme-ml/churn-model";
const FILES = [
  { path: ".drone.yml", content: "kind: pipeline\nname: default\n" },
  { path: "src/churn_model/train.py", content: "def train():\n    return 'ok'\n" },
];

let github: FakeGitHubServer;
let dir: string;
let file: string;

function inputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
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

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "github-commit-provider-"));
  file = await writeSerialized(gitCommitProvider(CHILD_LIMITS), dir, "commit-provider.js");
});

beforeEach(async () => {
  github = await FakeGitHubServer.start(TOKEN);
});

afterEach(async () => {
  await github.stop();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the serialized text is outside the project and requires only node's crypto (fetch is global)", () => {
  expect(path.relative(process.cwd(), file).startsWith("..")).toBe(true);
  const text = fs.readFileSync(file, "utf8");
  // The blob shas of the stored files (gitBlobSha): a module built into node, found anywhere.
  expect(requiredModules(file)).toEqual(["crypto"]);
  // No other form of require either (a computed module name would escape the check above).
  expect(text.match(/require\(/g)).toHaveLength(1);
  expect(text).toContain("exports.handler");
  expect(text).not.toContain(TOKEN);
});

test("the serialized provider makes the commit from plain node, retrying a 502", async () => {
  github.addRepository(SLUG, { files: { "README.md": "# churn-model\n" } });
  const initial = github.head(SLUG, "main")!;
  github.inject({ method: "POST", pathPrefix: `${REPO}/git/trees`, count: 1, status: 502 });
  const run = await runSerialized(file, "create", [inputs()]);
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout) as { ok: { id: string; outs: Record<string, unknown> } };
  const head = github.head(SLUG, "main")!;
  expect(result.ok.id).toBe(`acme-ml/churn-model@${head}`);
  expect(result.ok.outs).toEqual({
    apiUrl: github.url,
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    commitSha: head,
    treeSha: github.commit(SLUG, head).tree,
    paths: [".drone.yml", "src/churn_model/train.py"],
  });
  expect(github.commit(SLUG, head).parents).toEqual([initial]);
  expect(github.commitCount(SLUG, "main")).toBe(2);
  expect(github.filesOf(SLUG, "main")).toEqual({
    ".drone.yml": "kind: pipeline\nname: default\n",
    "README.md": "# churn-model\n",
    "src/churn_model/train.py": "def train():\n    return 'ok'\n",
  });
  expect(github.requests.every((r) => r.authorized)).toBe(true);
  // The retry is reported on stderr, without the token.
  expect(run.stderr).toContain(`GitHub: POST ${REPO}/git/trees: HTTP 502`);
  expect(run.stderr).not.toContain(TOKEN);
  expect(run.stdout).not.toContain(TOKEN);
});

test("the serialized provider creates a new branch from plain node", async () => {
  github.addRepository(SLUG, { files: { "README.md": "# churn-model\n" } });
  const main = github.head(SLUG, "main");
  const branch = "platform/template-sync-abcd1234";
  const run = await runSerialized(file, "create", [inputs({ branch, fromBranch: "main" })]);
  expect(run.stderr).toBe("");
  const result = JSON.parse(run.stdout) as { ok: { outs: { commitSha: string } } };
  expect(result.ok.outs.commitSha).toBe(github.head(SLUG, branch));
  expect(github.head(SLUG, "main")).toBe(main);
  expect(Object.keys(github.filesOf(SLUG, branch))).toEqual([
    ".drone.yml",
    "README.md",
    "src/churn_model/train.py",
  ]);
});

test("a refused token from the serialized provider is a message without a stack trace or token", async () => {
  github.addRepository(SLUG, { files: { "README.md": "# churn-model\n" } });
  const wrong = `${TOKEN}-old`;
  const run = await runSerialized(file, "create", [inputs({ token: wrong })]);
  const { error, stack } = JSON.parse(run.stdout) as { error: string; stack: string };
  expect(error).toBe(
    'GitHub: could not read the head of main (repository acme-ml/churn-model, branch main): HTTP 401 (GitHub says: "Bad credentials"). GitHub refused the token: set a valid one with `pulumi config set --secret mlplatform:githubToken`, then run `pulumi up` again.',
  );
  expect(stack).toBe(`GitHubError: ${error}`);
  expect(run.stdout).not.toContain(TOKEN);
  expect(run.stderr).not.toContain(TOKEN);
  expect(github.requests).toHaveLength(1);
});

test("delete of the serialized provider makes no request", async () => {
  const run = await runSerialized(file, "delete", ["acme-ml/churn-model@abc", {}]);
  expect(JSON.parse(run.stdout)).toEqual({ ok: null });
  expect(github.requests).toHaveLength(0);
});

describe("the provider text the state keeps, run as the provider host runs it (from the project directory)", () => {
  const stub = async () => {
    const target = path.join(dir, "commit-text.js");
    fs.writeFileSync(target, providerText("gitCommit", CHILD_LIMITS));
    return target;
  };

  test("its text requires only the package and stays under 120 bytes (with the default limits)", async () => {
    const stubFile = await stub();
    expect(requiredModules(stubFile)).toEqual(["@mlplatform/dynamic-providers"]);
    expect(fs.readFileSync(stubFile, "utf8")).not.toContain("callGitHub");
    expect(Buffer.byteLength(providerText("gitCommit"))).toBeLessThanOrEqual(120);
  });

  test("check, create, diff and delete of a commit", async () => {
    github.addRepository(SLUG, { files: { "README.md": "# churn-model\n" } });
    const stubFile = await stub();
    const call = async (method: Parameters<typeof runSerialized>[1], args: unknown[]) => {
      const run = await runSerialized(stubFile, method, args, { host: true });
      expect(run.stderr).toBe("");
      return (JSON.parse(run.stdout) as { ok: unknown }).ok;
    };
    const checked = (await call("check", [{}, inputs()])) as { failures: unknown[] };
    expect(checked.failures).toEqual([]);
    const bad = (await call("check", [{}, inputs({ branch: "" })])) as {
      failures: { property: string }[];
    };
    expect(bad.failures.map((f) => f.property)).toEqual(["branch"]);
    // With the old inputs of an existing commit (contents, as state written before holds them),
    // the stored files are blob shas.
    const stored = (await call("check", [inputs(), inputs()])) as {
      inputs: { files: unknown[] };
      failures: unknown[];
    };
    expect(stored.failures).toEqual([]);
    expect(stored.inputs.files).toEqual(
      FILES.map((f) => ({ path: f.path, blob: gitBlobSha(f.content) })),
    );

    const created = (await call("create", [inputs()])) as {
      id: string;
      outs: Record<string, unknown>;
    };
    const head = github.head(SLUG, "main")!;
    expect(created.id).toBe(`acme-ml/churn-model@${head}`);
    expect(created.outs.commitSha).toBe(head);
    expect(github.filesOf(SLUG, "main")[".drone.yml"]).toBe("kind: pipeline\nname: default\n");

    expect(await call("diff", [created.id, created.outs, inputs()])).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await call("diff", [created.id, created.outs, inputs({ branch: "develop" })])).toEqual({
      changes: true,
      replaces: ["branch"],
      deleteBeforeReplace: false,
    });

    const requests = github.requests.length;
    expect(await call("delete", [created.id, created.outs])).toBeNull();
    expect(github.requests).toHaveLength(requests);
  });
});
