import * as pulumi from "@pulumi/pulumi";
import { recordRegistrations } from "../helpers/registrations";

const COMMIT = "pulumi-nodejs:dynamic/github:Commit";
const recorder = recordRegistrations(
  (args) =>
    args.type === "github:index/repositoryPullRequest:RepositoryPullRequest"
      ? { ...args.inputs, number: 7 }
      : args.type === COMMIT
        ? { branch: args.inputs.branch, commitSha: "c".repeat(40) }
        : args.inputs,
  "project",
  "stack",
);
const { registered } = recorder;

// Imported after setMocks, as the SDK requires.
import type * as ContentModule from "../../components/repository-content";
import { RenderedFile, SCAFFOLD_COMMIT } from "../../program/render";
import { render, resolved, settingsOf } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RepositoryContent, SYNC_BRANCH_PREFIX, managedDigest, managedFileDigests } = require("../../components/repository-content") as typeof ContentModule;

const PR = "github:index/repositoryPullRequest:RepositoryPullRequest";
const TOKEN = "ghp_contenttest0123456789";
const target = {
  apiUrl: "https://api.github.com",
  token: TOKEN,
  owner: "acme-ml",
};

const files = render(resolved({}, "prod"), settingsOf("prod"));
const deployed = managedFileDigests(files);

/** Lets the mock engine finish the registrations of the component and of its children. */
async function settle(component: InstanceType<typeof RepositoryContent>): Promise<void> {
  const children = [component, component.scaffold, component.syncCommit, component.pullRequest];
  for (const child of children) {
    if (child) await new Promise<void>((resolve) => child.urn.apply(() => resolve()));
  }
  await new Promise((resolve) => setImmediate(resolve));
}

function edit(list: RenderedFile[], path: string, content: string): RenderedFile[] {
  return list.map((f) => (f.path === path ? { ...f, content, digest: "f".repeat(64) } : f));
}

type Files = { path: string; content: string }[];
const commits = () => registered.filter((r) => r.type === COMMIT);
const scaffolds = () => commits().filter((r) => r.inputs.fromBranch === undefined);
const syncs = () => commits().filter((r) => r.inputs.fromBranch !== undefined);

beforeEach(() => recorder.reset());

describe("RepositoryContent", () => {
  it("commits every file in one commit to the default branch at creation", async () => {
    const content = new RepositoryContent("churn", { ...target, repository: "churn-model", files });
    await settle(content);
    expect(registered.map((r) => r.type).sort()).toEqual(
      [COMMIT, "mlplatform:github:RepositoryContent"].sort(),
    );
    const [commit] = commits();
    expect(commit.name).toBe("churn-scaffold");
    expect(commit.inputs).toMatchObject({
      apiUrl: "https://api.github.com",
      owner: "acme-ml",
      repository: "churn-model",
      branch: "main",
      message: "Scaffold the service from the ML platform template",
      authorName: "ML platform",
      authorEmail: "ml-platform@users.noreply.github.com",
    });
    expect(commit.inputs.fromBranch).toBeUndefined();
    // `npm run render` makes the same first commit locally (program/render/local-repository.ts).
    const { message, authorName, authorEmail } = commit.inputs;
    expect({ message, authorName, authorEmail }).toEqual(SCAFFOLD_COMMIT);
    // Exactly the rendered files, path and content, nothing else (no kind, no digest).
    expect(commit.inputs.files).toEqual(files.map((f) => ({ path: f.path, content: f.content })));
    expect(content.managedFiles).toEqual(deployed);
    expect(content.syncBranch).toBeUndefined();
    expect(content.pullRequest).toBeUndefined();
  });

  it("keeps the token secret and never re-applies later changes of the files", async () => {
    await settle(new RepositoryContent("opts", { ...target, repository: "r", files }));
    const [commit] = commits();
    expect(commit.options.ignoreChanges).toEqual(["files", "message", "authorName", "authorEmail"]);
    expect(commit.options.retainOnDelete).toBe(false);
    // Registered as a secret: the engine encrypts it in the state.
    expect(commit.inputs.token).toEqual({
      [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
      value: TOKEN,
    });
  });

  it("declares no sync when the managed files match the last deployment", async () => {
    const content = new RepositoryContent("same", {
      ...target,
      repository: "r",
      files,
      previousManagedFiles: deployed,
    });
    await settle(content);
    expect(registered.map((r) => r.type).sort()).toEqual(
      [COMMIT, "mlplatform:github:RepositoryContent"].sort(),
    );
    expect(content.changedFiles).toEqual([]);
  });

  it("opens one pull request from a branch made of one commit of exactly the changed managed file", async () => {
    const changed = edit(files, "Dockerfile", "FROM other\n");
    const content = new RepositoryContent("sync", {
      ...target,
      repository: "churn-model",
      files: changed,
      previousManagedFiles: deployed,
    });
    await settle(content);
    const digest = managedDigest(changed).slice(0, 8);
    expect(syncs()).toHaveLength(1);
    const [sync] = syncs();
    expect(sync.name).toBe(`sync-sync-${digest}`);
    expect(sync.inputs).toMatchObject({
      owner: "acme-ml",
      repository: "churn-model",
      branch: `${SYNC_BRANCH_PREFIX}${digest}`,
      fromBranch: "main",
      message: "Update 1 managed file(s) from the ML platform template",
    });
    expect(sync.inputs.files as Files).toEqual([{ path: "Dockerfile", content: "FROM other\n" }]);
    const prs = registered.filter((r) => r.type === PR);
    expect(prs).toHaveLength(1);
    expect(prs[0].inputs).toMatchObject({
      baseRepository: "churn-model",
      baseRef: "main",
      headRef: `platform/template-sync-${digest}`,
      maintainerCanModify: true,
    });
    expect(prs[0].inputs.body).toContain("- `Dockerfile`");
    expect(prs[0].inputs.body).not.toContain(".drone.yml");
    // The default branch still gets its one scaffold commit, unchanged by the sync.
    expect(scaffolds()).toHaveLength(1);
    expect(content.changedFiles).toEqual(["Dockerfile"]);
    await new Promise<void>((resolve) =>
      content.pullRequestNumber!.apply((n) => {
        expect(n).toBe(7);
        resolve();
      }),
    );
  });

  it("retains the sync commit and pull request on delete", async () => {
    await settle(
      new RepositoryContent("retain", {
        ...target,
        repository: "r",
        files: edit(files, "CODEOWNERS", "* @acme-ml/other\n"),
        previousManagedFiles: deployed,
      }),
    );
    const sync = registered.filter(
      (r) => r.type === PR || (r.type === COMMIT && r.inputs.fromBranch !== undefined),
    );
    expect(sync.map((r) => r.type).sort()).toEqual([COMMIT, PR].sort());
    for (const resource of sync) expect(resource.options.retainOnDelete).toBe(true);
    expect(scaffolds()[0].options.retainOnDelete).toBe(false);
  });

  it("treats a managed file new since the last deployment as changed", async () => {
    const previous = { ...deployed };
    delete previous["catalog-info.yaml"];
    const content = new RepositoryContent("new", {
      ...target,
      repository: "r",
      files,
      previousManagedFiles: previous,
    });
    await settle(content);
    expect(content.changedFiles).toEqual(["catalog-info.yaml"]);
    expect(registered.filter((r) => r.type === PR)).toHaveLength(1);
    expect((syncs()[0].inputs.files as Files).map((f) => f.path)).toEqual(["catalog-info.yaml"]);
  });

  it("never syncs seed files, whatever changed in them", async () => {
    const changed = edit(edit(files, "README.md", "# mine\n"), "src/churn_model/model.py", "x = 1\n");
    const content = new RepositoryContent("seed", {
      ...target,
      repository: "r",
      files: changed,
      previousManagedFiles: deployed,
    });
    await settle(content);
    expect(registered.filter((r) => r.type === PR)).toEqual([]);
    expect(syncs()).toEqual([]);
    expect(content.changedFiles).toEqual([]);
  });

  it("refuses a path given twice before declaring anything", () => {
    expect(
      () =>
        new RepositoryContent("dup", {
          ...target,
          repository: "r",
          files: [...files, files[0]],
        }),
    ).toThrow(`[files] path ${files[0].path} is given twice`);
  });
});
