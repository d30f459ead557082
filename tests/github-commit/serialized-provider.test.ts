/**
 * The commit provider as the engine runs it: Pulumi serializes the provider object into the
 * state, and the provider host loads that text with plain node (no TypeScript, no project
 * module). Here the serialized text runs in a plain `node` child against the fake Git server.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { gitCommitProvider } from "../../components/github/commit-provider";
import { FakeGitServer } from "./fake-git-server";
import { FAST, TOKEN } from "./helpers";

function runCreate(file: string, inputs: unknown): Promise<{ stdout: string; stderr: string }> {
  const script = `
    const provider = require(process.argv[1]).handler();
    provider.create(JSON.parse(process.env.PROVIDER_INPUTS)).then(
      (r) => process.stdout.write(JSON.stringify({ ok: r })),
      (e) => process.stdout.write(JSON.stringify({ error: e.message })),
    );`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script, file], {
      cwd: path.dirname(file),
      env: { PATH: process.env.PATH ?? "", PROVIDER_INPUTS: JSON.stringify(inputs) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", () => resolve({ stdout, stderr }));
  });
}

let git: FakeGitServer;
let dir: string;
let file: string;

beforeAll(async () => {
  git = await FakeGitServer.start(TOKEN);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "git-commit-provider-"));
  // As pulumi.dynamic.Resource does: the provider object, captured by a closure.
  const provider = gitCommitProvider(FAST);
  const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  file = path.join(dir, "provider.js");
  fs.writeFileSync(file, text);
});

afterAll(async () => {
  await git.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const inputs = (token: string) => ({
  apiUrl: git.url,
  token,
  owner: "acme-ml",
  repository: "churn-model",
  branch: "main",
  files: [
    { path: ".drone.yml", content: "kind: pipeline\n" },
    { path: "src/churn_model/model.py", content: "x = 1\n" },
  ],
  message: "Scaffold",
  authorName: "ML platform",
  authorEmail: "ml-platform@users.noreply.github.com",
});

test("the serialized provider needs only node's built-ins", () => {
  const text = fs.readFileSync(file, "utf8");
  const required = [...text.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  expect([...new Set(required)].sort()).toEqual(["http", "https"]);
});

test("the serialized provider commits the files from plain node", async () => {
  git.addRepository("acme-ml/churn-model", { "README.md": "# x\n" });
  const run = await runCreate(file, inputs(TOKEN));
  expect(run.stderr).toBe("");
  const { ok } = JSON.parse(run.stdout) as { ok: { id: string; outs: { commitSha: string } } };
  expect(ok.id).toBe(`acme-ml/churn-model@${git.head("acme-ml/churn-model", "main")}`);
  expect(git.files("acme-ml/churn-model", "main")).toEqual({
    "README.md": "# x\n",
    ".drone.yml": "kind: pipeline\n",
    "src/churn_model/model.py": "x = 1\n",
  });
  expect(run.stdout).not.toContain(TOKEN);
});

test("a refused token is a message without the token or a stack trace", async () => {
  git.reset();
  git.addRepository("acme-ml/churn-model", { "README.md": "# x\n" });
  const wrong = "ghp_refused0987654321zyx";
  const run = await runCreate(file, inputs(wrong));
  const { error } = JSON.parse(run.stdout) as { error: string };
  expect(error).toBe(
    'GitHub: could not read the head of main (repository acme-ml/churn-model, branch main): HTTP 401 (GitHub says: "Bad credentials"). GitHub refused the token: set a valid one with `pulumi config set --secret mlplatform:githubToken`, then run `pulumi up` again.',
  );
  expect(`${run.stdout}${run.stderr}`).not.toContain(wrong);
});
