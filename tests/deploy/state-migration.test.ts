/**
 * Resources the program replaced (many-to-one moves, which aliases cannot carry) leave the state
 * before `npm run up`, through `pulumi stack export`/`import`; the fake workspace's import refuses
 * a state `pulumi stack import` would refuse (fixtures.ts verifyIntegrity).
 */
import { runDeployCommand } from "../../cli/deploy";
import {
  StateDeployment,
  StateMigrationError,
  StateResource,
  SUPERSEDED_TYPES,
  withoutSuperseded,
} from "../../deploy/state-migration";
import { FakeWorkspace, harness, makeProject, verifyIntegrity } from "./fixtures";

const STACK = "urn:pulumi:dev::mlplatform::";
const PIPELINE = `${STACK}mlplatform:service:MlService$mlplatform:drone:ServicePipeline::churn-ci`;
const stateOf = (resources: StateResource[]): StateDeployment => ({
  version: 3,
  deployment: { manifest: { magic: "m" }, resources },
});
const stackResource: StateResource = {
  urn: `${STACK}pulumi:pulumi:Stack::mlplatform-dev`,
  type: "pulumi:pulumi:Stack",
};
const pipeline: StateResource = {
  urn: PIPELINE,
  type: "mlplatform:drone:ServicePipeline",
  parent: stackResource.urn,
};
const oldSecret = (name: string): StateResource => ({
  urn: `${STACK}mlplatform:drone:ServicePipeline$pulumi-nodejs:dynamic/drone:Secret::${name}`,
  type: "pulumi-nodejs:dynamic/drone:Secret",
  custom: true,
  id: name,
  parent: PIPELINE,
});
const oldFile: StateResource = {
  urn: `${STACK}github:index/repositoryFile:RepositoryFile::churn-README.md`,
  type: "github:index/repositoryFile:RepositoryFile",
  custom: true,
  id: "churn/README.md",
  parent: stackResource.urn,
};
const secretSet: StateResource = {
  urn: `${STACK}pulumi-nodejs:dynamic/drone:RepositorySecrets::churn-secrets`,
  type: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
  custom: true,
  id: "acme/churn",
  parent: PIPELINE,
};

describe("withoutSuperseded", () => {
  test("the superseded types are exactly the two many-to-one moves", () => {
    expect(SUPERSEDED_TYPES.map((t) => t.type)).toEqual([
      "pulumi-nodejs:dynamic/drone:Secret",
      "github:index/repositoryFile:RepositoryFile",
    ]);
  });

  test("removes every resource of a superseded type and nothing else, keeping the rest in order", () => {
    const state = stateOf([
      stackResource,
      pipeline,
      oldSecret("aws_access_key_id"),
      secretSet,
      oldSecret("docker_password"),
      oldFile,
    ]);
    const result = withoutSuperseded(state);
    expect(result.removed).toEqual([
      oldSecret("aws_access_key_id").urn,
      oldSecret("docker_password").urn,
      oldFile.urn,
    ]);
    expect(result.deployment.deployment.resources).toEqual([stackResource, pipeline, secretSet]);
    expect(result.deployment.deployment.manifest).toEqual({ magic: "m" });
    expect(result.summary).toEqual([
      "2 pulumi-nodejs:dynamic/drone:Secret (replaced by one DroneRepositorySecrets per repository; the secrets stay in Drone)",
      "1 github:index/repositoryFile:RepositoryFile (replaced by one GitCommit per repository; the files stay in the repositories)",
    ]);
    expect(() => verifyIntegrity(result.deployment)).not.toThrow();
    // The input is not modified.
    expect(state.deployment.resources).toHaveLength(6);
  });

  test("a state without superseded resources comes back as it was", () => {
    const state = stateOf([stackResource, pipeline, secretSet]);
    expect(withoutSuperseded(state)).toEqual({ deployment: state, removed: [], summary: [] });
  });

  test("refuses a protected superseded resource, as pulumi state delete does", () => {
    const state = stateOf([stackResource, pipeline, { ...oldSecret("token"), protect: true }]);
    expect(() => withoutSuperseded(state)).toThrow(StateMigrationError);
    expect(() => withoutSuperseded(state)).toThrow(`${oldSecret("token").urn} is protected`);
  });

  test.each([
    ["dependencies", { dependencies: [oldFile.urn] }],
    ["propertyDependencies", { propertyDependencies: { files: [oldFile.urn] } }],
    ["deletedWith", { deletedWith: oldFile.urn }],
    ["parent", { parent: oldFile.urn }],
  ])("refuses when a resource that stays refers to one through %s", (_field, extra) => {
    const state = stateOf([
      stackResource,
      oldFile,
      { ...secretSet, parent: stackResource.urn, ...extra },
    ]);
    expect(() => withoutSuperseded(state)).toThrow(`${secretSet.urn} depends on ${oldFile.urn}`);
  });

  test("without the check, the import would be refused: the stand-in enforces the CLI's integrity rules", () => {
    const dangling = stateOf([
      stackResource,
      { ...secretSet, parent: stackResource.urn, dependencies: [oldFile.urn] },
    ]);
    expect(() => verifyIntegrity(dangling)).toThrow(
      `resource ${secretSet.urn}'s dependency ${oldFile.urn} refers to missing resource`,
    );
    expect(() => verifyIntegrity(stateOf([pipeline]))).toThrow("refers to missing parent");
  });
});

describe("npm run up and preview", () => {
  const legacy = () =>
    stateOf([stackResource, pipeline, oldSecret("aws_access_key_id"), oldFile, secretSet]);

  test("up removes the superseded resources from the state before it runs, and says so", async () => {
    const fake = new FakeWorkspace({ state: legacy() });
    const h = harness(makeProject(), fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(0);
    expect(fake.stateCalls.map((c) => c.method)).toEqual(["export", "import"]);
    expect(fake.stateCalls[1].state!.deployment.resources).toEqual([
      stackResource,
      pipeline,
      secretSet,
    ]);
    expect(fake.runs.map((r) => r.operation)).toEqual(["up"]);
    expect(h.err).toContain(
      "removing 2 resource(s) the program replaced from the state of stack dev (nothing is deleted in the cloud):",
    );
    expect(h.err).toContain(
      "  - 1 github:index/repositoryFile:RepositoryFile (replaced by one GitCommit per repository; the files stay in the repositories)",
    );
  });

  test("preview never changes the state: it says what up will do", async () => {
    const fake = new FakeWorkspace({ state: legacy() });
    const h = harness(makeProject(), fake);
    expect(await runDeployCommand(["preview", "--stack", "dev"], h.ctx)).toBe(0);
    expect(fake.stateCalls.map((c) => c.method)).toEqual(["export"]);
    expect(h.text()).toContain(
      "note: the state of stack dev holds 2 resource(s) the program replaced; this preview shows them as deletes",
    );
  });

  test("a current state is exported and left alone; refresh and destroy do not read it", async () => {
    const fake = new FakeWorkspace({ state: stateOf([stackResource, pipeline, secretSet]) });
    const h = harness(makeProject(), fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(0);
    expect(fake.stateCalls.map((c) => c.method)).toEqual(["export"]);
    expect(h.text()).not.toContain("removing");
    for (const argv of [
      ["refresh", "--stack", "dev"],
      ["destroy", "--stack", "dev", "--yes-destroy", "dev"],
    ]) {
      const other = new FakeWorkspace({ state: legacy() });
      expect(await runDeployCommand(argv, harness(makeProject(), other).ctx)).toBe(0);
      expect(other.stateCalls).toEqual([]);
    }
  });

  test("a superseded resource that cannot leave safely stops up before anything runs", async () => {
    const fake = new FakeWorkspace({
      state: stateOf([stackResource, pipeline, { ...oldSecret("token"), protect: true }]),
    });
    const h = harness(makeProject(), fake);
    expect(await runDeployCommand(["up", "--stack", "dev"], h.ctx)).toBe(1);
    expect(fake.runs).toEqual([]);
    expect(fake.stateCalls.map((c) => c.method)).toEqual(["export"]);
    expect(h.text()).toContain("cannot leave the state safely (nothing was changed)");
    expect(h.text()).toContain(`${oldSecret("token").urn} is protected`);
  });
});
