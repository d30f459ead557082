import * as pulumi from "@pulumi/pulumi";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  ignoreChanges: string[];
  retainOnDelete: boolean;
}
const registered: Registered[] = [];
/** Options of each registration, as the engine receives them (name -> options). */
const options = new Map<string, { ignoreChanges: string[]; retainOnDelete: boolean }>();

pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      const opts = options.get(args.name) ?? { ignoreChanges: [], retainOnDelete: false };
      registered.push({ type: args.type, name: args.name, inputs: args.inputs, ...opts });
      const state =
        args.type === "github:index/repositoryPullRequest:RepositoryPullRequest"
          ? { ...args.inputs, number: 7 }
          : args.inputs;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => {
      throw new Error(`unexpected invoke ${args.token}`);
    },
  },
  "project",
  "stack",
  false,
);

// The mock monitor hands newResource no options: read them from each request first.
interface RegisterRequestView {
  getName(): string;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeState = require("@pulumi/pulumi/runtime/state");
const monitor = runtimeState.getStore().settings.monitor as {
  registerResource: (req: RegisterRequestView, callback: unknown) => unknown;
};
const originalRegister = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => {
  options.set(req.getName(), {
    ignoreChanges: req.getIgnorechangesList(),
    retainOnDelete: req.getRetainondelete(),
  });
  return originalRegister(req, callback);
};

// Imported after setMocks, as the SDK requires.
import type * as ContentModule from "../../components/repository-content";
import { managedDigest, managedFileDigests, RenderedFile } from "../../lib/render";
import { render, resolved, settingsOf } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RepositoryContent, SYNC_BRANCH_PREFIX } = require("../../components/repository-content") as typeof ContentModule;

const FILE = "github:index/repositoryFile:RepositoryFile";
const BRANCH = "github:index/branch:Branch";
const PR = "github:index/repositoryPullRequest:RepositoryPullRequest";

const files = render(resolved({}, "prod"), settingsOf("prod"));
const deployed = managedFileDigests(files);

/** Lets the mock engine finish the registrations of the component. */
async function settle(component: InstanceType<typeof RepositoryContent>): Promise<void> {
  await new Promise<void>((resolve) => component.urn.apply(() => resolve()));
  await new Promise((resolve) => setImmediate(resolve));
}

function edit(list: RenderedFile[], path: string, content: string): RenderedFile[] {
  return list.map((f) => (f.path === path ? { ...f, content, digest: "f".repeat(64) } : f));
}

beforeEach(() => {
  registered.length = 0;
});

describe("RepositoryContent", () => {
  it("commits every file once to the default branch at creation, content never updated in place", async () => {
    const content = new RepositoryContent("churn", { repository: "churn-model", files });
    await settle(content);
    const commits = registered.filter((r) => r.type === FILE);
    expect(commits).toHaveLength(files.length);
    expect(registered.filter((r) => r.type === BRANCH || r.type === PR)).toEqual([]);
    for (const commit of commits) {
      expect(commit.inputs.branch).toBe("main");
      expect(commit.inputs.repository).toBe("churn-model");
      expect(commit.inputs.overwriteOnCreate).toBe(true);
      expect(commit.name.startsWith("churn-")).toBe(true);
    }
    expect(commits.map((c) => c.inputs.file).sort()).toEqual(files.map((f) => f.path));
    const docker = commits.find((c) => c.inputs.file === "Dockerfile")!;
    expect(docker.inputs.content).toBe(files.find((f) => f.path === "Dockerfile")!.content);
    expect(content.managedFiles).toEqual(deployed);
    expect(content.syncBranch).toBeUndefined();
    expect(content.pullRequest).toBeUndefined();
  });

  it("ignores later content changes of the default-branch files", async () => {
    await settle(new RepositoryContent("opts", { repository: "r", files }));
    const commits = registered.filter((r) => r.type === FILE);
    expect(commits).toHaveLength(files.length);
    for (const commit of commits) {
      expect(commit.ignoreChanges).toEqual(["content"]);
      expect(commit.retainOnDelete).toBe(false);
    }
  });

  it("declares no sync when the managed files match the last deployment", async () => {
    const content = new RepositoryContent("same", {
      repository: "r",
      files,
      previousManagedFiles: deployed,
    });
    await settle(content);
    expect(registered.filter((r) => r.type !== FILE).map((r) => r.type)).toEqual([
      "mlplatform:github:RepositoryContent",
    ]);
    expect(registered.filter((r) => r.type === FILE)).toHaveLength(files.length);
    expect(content.changedFiles).toEqual([]);
  });

  it("opens one pull request with exactly the changed managed file when one changed", async () => {
    const changed = edit(files, "Dockerfile", "FROM other\n");
    const content = new RepositoryContent("sync", {
      repository: "churn-model",
      files: changed,
      previousManagedFiles: deployed,
    });
    await settle(content);
    const digest = managedDigest(changed).slice(0, 8);
    const branches = registered.filter((r) => r.type === BRANCH);
    expect(branches).toHaveLength(1);
    expect(branches[0].inputs).toMatchObject({
      repository: "churn-model",
      branch: `${SYNC_BRANCH_PREFIX}${digest}`,
      sourceBranch: "main",
    });
    const onBranch = registered.filter((r) => r.type === FILE && r.inputs.branch !== "main");
    expect(onBranch).toHaveLength(1);
    expect(onBranch[0].inputs).toMatchObject({
      file: "Dockerfile",
      content: "FROM other\n",
      branch: `platform/template-sync-${digest}`,
    });
    const prs = registered.filter((r) => r.type === PR);
    expect(prs).toHaveLength(1);
    expect(prs[0].inputs).toMatchObject({
      baseRepository: "churn-model",
      baseRef: "main",
      headRef: `platform/template-sync-${digest}`,
    });
    expect(prs[0].inputs.body).toContain("- `Dockerfile`");
    expect(prs[0].inputs.body).not.toContain(".drone.yml");
    expect(registered.filter((r) => r.type === FILE && r.inputs.branch === "main")).toHaveLength(
      files.length,
    );
    expect(content.changedFiles).toEqual(["Dockerfile"]);
    await new Promise<void>((resolve) =>
      content.pullRequestNumber!.apply((n) => {
        expect(n).toBe(7);
        resolve();
      }),
    );
  });

  it("retains sync branch, files and pull request on delete, and ignores no change on them", async () => {
    await settle(
      new RepositoryContent("retain", {
        repository: "r",
        files: edit(files, "CODEOWNERS", "* @acme-ml/other\n"),
        previousManagedFiles: deployed,
      }),
    );
    const sync = registered.filter(
      (r) => r.type === BRANCH || r.type === PR || (r.type === FILE && r.inputs.branch !== "main"),
    );
    expect(sync.map((r) => r.type).sort()).toEqual([BRANCH, FILE, PR].sort());
    for (const resource of sync) {
      expect(resource.retainOnDelete).toBe(true);
      expect(resource.ignoreChanges).toEqual([]);
    }
  });

  it("treats a managed file new since the last deployment as changed", async () => {
    const previous = { ...deployed };
    delete previous["catalog-info.yaml"];
    const content = new RepositoryContent("new", {
      repository: "r",
      files,
      previousManagedFiles: previous,
    });
    await settle(content);
    expect(content.changedFiles).toEqual(["catalog-info.yaml"]);
    expect(registered.filter((r) => r.type === PR)).toHaveLength(1);
  });

  it("never syncs seed files, whatever changed in them", async () => {
    const changed = edit(edit(files, "README.md", "# mine\n"), "src/churn_model/model.py", "x = 1\n");
    const content = new RepositoryContent("seed", {
      repository: "r",
      files: changed,
      previousManagedFiles: deployed,
    });
    await settle(content);
    expect(registered.filter((r) => r.type === BRANCH || r.type === PR)).toEqual([]);
    expect(registered.filter((r) => r.type === FILE && r.inputs.branch !== "main")).toEqual([]);
    expect(content.changedFiles).toEqual([]);
  });
});
