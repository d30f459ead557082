/**
 * The GitCommit resource under the SDK's mock engine: what the engine receives (type token, secret
 * token, ignoreChanges), the outputs it exposes, and the error a mistaken argument gives when the
 * resource is declared.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  isSecretWrapper,
  recordRegistrations,
  Registration,
  settled,
  unwrap,
} from "../helpers/registrations";

const recorder = recordRegistrations();
const { registered } = recorder;
type Registered = Registration;
/** Engine options of each registration, by name. */
const engineOptions = recorder.options;

// Imported after setMocks, as the program would be.
import { GitCommit, GitCommitArgs } from "../../components/github/git-commit";
import { TOKEN } from "./helpers";

const TYPE = "pulumi-nodejs:dynamic/github:Commit";

function args(overrides: Partial<GitCommitArgs> = {}): GitCommitArgs {
  return {
    apiUrl: "https://api.github.com",
    token: TOKEN,
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    files: [
      { path: ".drone.yml", content: "kind: pipeline\n" },
      { path: "README.md", content: "# churn-model\n" },
    ],
    message: "Scaffold churn-model",
    authorName: "ML Platform",
    authorEmail: "ml-platform@acme.example",
    ...overrides,
  };
}

function only(name: string): Registered {
  const found = registered.filter((r) => r.type === TYPE && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${TYPE} ${name}, found ${found.length}`);
  return found[0];
}

beforeEach(() => recorder.reset());

test("registers a github:Commit whose token is secret and whose files and message are ignored changes", async () => {
  const commit = new GitCommit("churn-model-scaffold", args());
  await settled(commit.urn);
  expect(registered.map((r) => r.type)).toEqual([TYPE]);
  const r = only("churn-model-scaffold");
  expect(isSecretWrapper(r.inputs.token)).toBe(true);
  expect(unwrap(r.inputs.token)).toBe(TOKEN);
  expect(r.inputs).toMatchObject({
    apiUrl: "https://api.github.com",
    owner: "acme-ml",
    repository: "churn-model",
    branch: "main",
    message: "Scaffold churn-model",
    authorName: "ML Platform",
    authorEmail: "ml-platform@acme.example",
    files: args().files,
  });
  expect(r.inputs.fromBranch).toBeUndefined();
  // Nothing plain holds the token.
  const plain = Object.entries(r.inputs).filter(([, v]) => !isSecretWrapper(v));
  expect(JSON.stringify(plain)).not.toContain(TOKEN);
  // The provider's code travels with the resource.
  expect(String(unwrap(r.inputs.__provider))).toContain("exports.handler");
  const options = engineOptions.get("churn-model-scaffold")!;
  expect(options.ignoreChanges).toEqual(expect.arrayContaining(["files", "message"]));
  expect(options.deleteBeforeReplace).toBe(false);
});

test("a token that is already secret stays secret; fromBranch is passed on", async () => {
  const commit = new GitCommit("churn-model-sync", {
    ...args({ token: pulumi.secret(TOKEN) }),
    branch: "platform/template-sync-abcd1234",
    fromBranch: "main",
  });
  await settled(commit.urn);
  const r = only("churn-model-sync");
  expect(isSecretWrapper(r.inputs.token)).toBe(true);
  expect(unwrap(r.inputs.token)).toBe(TOKEN);
  expect(r.inputs.fromBranch).toBe("main");
  expect(r.inputs.branch).toBe("platform/template-sync-abcd1234");
});

test("user ignoreChanges are kept alongside the resource's own", async () => {
  const commit = new GitCommit("churn-model-opts", args(), { ignoreChanges: ["branch"] });
  await settled(commit.urn);
  expect(engineOptions.get("churn-model-opts")!.ignoreChanges).toEqual(
    expect.arrayContaining(["branch", "files", "message"]),
  );
});

test("its output properties are the engine's outputs", async () => {
  const commit = new GitCommit("churn-model-outputs", args());
  expect(pulumi.Output.isInstance(commit.owner)).toBe(true);
  expect(pulumi.Output.isInstance(commit.commitSha)).toBe(true);
  expect(await settled(commit.owner)).toBe("acme-ml");
  expect(await settled(commit.branch)).toBe("main");
});

test.each<[string, Partial<GitCommitArgs>, string]>([
  [
    "a file path with ..",
    { files: [{ path: "../x", content: "" }] },
    '  files: path "../x" must be relative and normalised (no leading /, no empty, . or .. segment)',
  ],
  ["an owner that is not a name", { owner: "../x" }, '  owner: "../x" is not a GitHub name'],
  ["an invalid branch", { branch: "main..x" }, '  branch: "main..x" is not a valid branch name'],
  ["an e-mail that is not one", { authorEmail: "nope" }, '  authorEmail: "nope" is not an e-mail'],
])("%s is refused when declared, naming resource and field", (_what, overrides, line) => {
  let error: Error | undefined;
  try {
    new GitCommit("bad", args(overrides));
  } catch (e) {
    error = e as Error;
  }
  expect(error).toBeDefined();
  const lines = error!.message.split("\n");
  expect(lines[0]).toBe("GitCommit bad: invalid arguments:");
  expect(lines).toHaveLength(2);
  expect(lines[1].startsWith(line)).toBe(true);
  expect(error!.stack).toBe(`GitHubError: ${error!.message}`);
  expect(`${error!.message}\n${error!.stack}`).not.toContain("    at ");
  expect(`${error!.message}\n${error!.stack}`).not.toContain(TOKEN);
  expect(registered).toHaveLength(0);
});

test("the exact message of a bad file path", () => {
  expect(() => new GitCommit("bad", args({ files: [{ path: "../x", content: "" }] }))).toThrow(
    'GitCommit bad: invalid arguments:\n  files: path "../x" must be relative and normalised (no leading /, no empty, . or .. segment)',
  );
});

test("values not known when declared are checked later, not at construction", async () => {
  const commit = new GitCommit("churn-model-later", args({ owner: pulumi.output("acme-ml") }));
  await settled(commit.urn);
  expect(only("churn-model-later").inputs.owner).toBe("acme-ml");
});

// A plain fromBranch is compared with branch only when branch is plain too.
test("a plain fromBranch with a branch not known yet is not compared with a placeholder", async () => {
  const commit = new GitCommit("churn-model-sync-later", {
    ...args(),
    branch: pulumi.output("platform/template-sync-abcd1234"),
    fromBranch: "main",
  });
  await settled(commit.urn);
  expect(only("churn-model-sync-later").inputs.fromBranch).toBe("main");
});
