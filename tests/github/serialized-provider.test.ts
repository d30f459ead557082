/**
 * The commit provider as the engine runs it: Pulumi serializes the provider object into the state
 * and the provider host loads that text with plain node (no TypeScript, no project modules). Here
 * the serialized text is written to a temporary directory outside the project and run by a plain
 * `node` child process against the fake GitHub server.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runSerialized, writeSerialized } from "../helpers/serialized-provider";
import { gitCommitProvider } from "../../components/github/commit-provider";
import { FakeGitHubServer } from "./fake-github-server";
import { FAST, TOKEN } from "./helpers";

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
  file = await writeSerialized(gitCommitProvider(FAST), dir, "commit-provider.js");
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

test("the serialized text is outside the project and requires only node's http and https", () => {
  expect(path.relative(process.cwd(), file).startsWith("..")).toBe(true);
  const text = fs.readFileSync(file, "utf8");
  const required = [...text.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
  expect([...new Set(required)].sort()).toEqual(["http", "https"]);
  // No other form of require (a computed module name would escape the check above).
  expect(text.match(/require\(/g)).toHaveLength(required.length);
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
