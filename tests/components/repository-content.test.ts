/**
 * RepositoryContent from purpose-built files: one scaffold commit of every file (token secret);
 * from a previous deployment on, only the managed files that changed go to a sync branch and a
 * pull request, both retained; seed files never do; the managed files' digests are its output.
 */
import { createHash } from "crypto";
import { isSecret, one, recordDeclarations, tree } from "./harness";

const COMMIT = "pulumi-nodejs:dynamic/github:Commit";
const PR = "github:index/repositoryPullRequest:RepositoryPullRequest";
const mocks = recordDeclarations((a) =>
  a.type === PR
    ? { ...a.inputs, number: 12 }
    : a.type === COMMIT
      ? { branch: a.inputs.branch, commitSha: "c".repeat(40) }
      : a.inputs,
);

// Imported after setMocks, as a program would.
import {
  managedDigest,
  managedFileDigests,
  RenderedFile,
  RepositoryContent,
} from "../../components/repository-content";

const sha = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const file = (path: string, content: string, kind: "managed" | "seed"): RenderedFile => ({
  path,
  content,
  kind,
  digest: sha(content),
});
const FILES = [
  file("src/train.py", "print('train')\n", "seed"),
  file(".drone.yml", "kind: pipeline\n", "managed"),
  file(".pre-commit-config.yaml", "repos: []\n", "managed"),
];
const TARGET = {
  apiUrl: "https://github.example.test/api/v3",
  token: "ghp_not_a_real_token",
  owner: "acme",
  repository: "fraud",
};

beforeEach(() => mocks.reset());

describe("managed digests", () => {
  test("path -> digest of the managed files only, by path; one digest over them", () => {
    expect(managedFileDigests(FILES)).toEqual({
      ".drone.yml": sha("kind: pipeline\n"),
      ".pre-commit-config.yaml": sha("repos: []\n"),
    });
    expect(Object.keys(managedFileDigests(FILES))).toEqual([
      ".drone.yml",
      ".pre-commit-config.yaml",
    ]);
    const expected = createHash("sha256")
      .update(`.drone.yml\0${sha("kind: pipeline\n")}\n`)
      .update(`.pre-commit-config.yaml\0${sha("repos: []\n")}\n`)
      .digest("hex");
    expect(managedDigest(FILES)).toBe(expected);
    // A seed file's change does not change it; a managed file's does.
    expect(managedDigest([...FILES.slice(1), file("src/train.py", "other", "seed")])).toBe(
      expected,
    );
    expect(
      managedDigest([...FILES.slice(0, 2), file(".pre-commit-config.yaml", "x", "managed")]),
    ).not.toBe(expected);
  });
});

describe("RepositoryContent", () => {
  test("first deployment: one scaffold commit of every file to the branch given, token secret; nothing to sync", async () => {
    const content = new RepositoryContent("fraud-content", {
      ...TARGET,
      branch: "trunk",
      repositoryDefaultBranch: "trunk",
      files: FILES,
    });
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      ["mlplatform:github:RepositoryContent", "fraud-content", ""],
      [COMMIT, "fraud-content-scaffold", "fraud-content"],
    ]);
    const scaffold = one(mocks.declared, COMMIT, "fraud-content-scaffold");
    expect(scaffold.inputs).toMatchObject({
      apiUrl: TARGET.apiUrl,
      owner: "acme",
      repository: "fraud",
      branch: "trunk",
      defaultBranch: "trunk",
      files: FILES.map((f) => ({ path: f.path, content: f.content })),
      message: "Scaffold the service from the ML platform template",
      authorName: "ML platform",
      authorEmail: "ml-platform@users.noreply.github.com",
    });
    expect(scaffold.inputs.fromBranch).toBeUndefined();
    expect(isSecret(scaffold.inputs.token)).toBe(true);
    expect(content.managedFiles).toEqual(managedFileDigests(FILES));
    expect(content.changedFiles).toEqual([]);
  });

  test("a managed file changed since the last deployment: a retained sync commit and pull request of that file only", async () => {
    const previous = { ...managedFileDigests(FILES), ".drone.yml": sha("old pipeline\n") };
    const content = new RepositoryContent("fraud-content", {
      ...TARGET,
      files: FILES,
      previousManagedFiles: previous,
    });
    await mocks.settle();
    const digest = managedDigest(FILES).slice(0, 8);
    expect(content.changedFiles).toEqual([".drone.yml"]);
    const sync = one(mocks.declared, COMMIT, `fraud-content-sync-${digest}`);
    expect(sync.inputs).toMatchObject({
      branch: `platform/template-sync-${digest}`,
      fromBranch: "main",
      files: [{ path: ".drone.yml", content: "kind: pipeline\n" }],
      message: "Update 1 managed file(s) from the ML platform template",
    });
    expect([sync.parent, sync.retainOnDelete, sync.protect]).toEqual([
      "fraud-content",
      true,
      false,
    ]);
    const pr = one(mocks.declared, PR, `fraud-content-sync-${digest}`);
    expect(pr.inputs).toMatchObject({
      baseRepository: "fraud",
      baseRef: "main",
      headRef: `platform/template-sync-${digest}`,
      title: `Platform template update (${digest})`,
      maintainerCanModify: true,
    });
    expect(String(pr.inputs.body)).toContain("- `.drone.yml`");
    expect(String(pr.inputs.body)).not.toContain(".pre-commit-config.yaml");
    expect([pr.parent, pr.retainOnDelete]).toEqual(["fraud-content", true]);
  });

  test("only a seed file changed: no sync commit, no pull request", async () => {
    const content = new RepositoryContent("fraud-content", {
      ...TARGET,
      files: [file("src/train.py", "edited by the team\n", "seed"), ...FILES.slice(1)],
      previousManagedFiles: managedFileDigests(FILES),
    });
    await mocks.settle();
    expect(content.changedFiles).toEqual([]);
    expect(mocks.declared.filter((d) => d.type === PR)).toEqual([]);
    expect(mocks.declared.filter((d) => d.type === COMMIT).map((d) => d.name)).toEqual([
      "fraud-content-scaffold",
    ]);
  });

  test("a path given twice is refused, naming the field", () => {
    expect(() => new RepositoryContent("dup", { ...TARGET, files: [FILES[1], FILES[1]] })).toThrow(
      "[files] path .drone.yml is given twice",
    );
  });
});
