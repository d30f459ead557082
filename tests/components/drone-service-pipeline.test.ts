/**
 * DroneServicePipeline from a purpose-built Args value: the repository activated with the
 * platform's settings (never protected or trusted, whatever is passed), and exactly the secrets
 * given, by the names given, as one secret input, none for pull requests.
 */
import * as pulumi from "@pulumi/pulumi";
import { isSecret, one, recordDeclarations, reveal, tree } from "./harness";

const mocks = recordDeclarations();

// Imported after setMocks, as a program would.
import { DroneServicePipeline, SERVICE_REPOSITORY_SETTINGS } from "../../components/drone";

const REPOSITORY = "pulumi-nodejs:dynamic/drone:Repository";
const SECRETS = "pulumi-nodejs:dynamic/drone:RepositorySecrets";
const ARGS = {
  server: "https://drone.example.test",
  token: pulumi.secret("drone-token"),
  owner: "acme",
  repositoryName: "fraud",
  secrets: { first_secret: "one", "second.secret": pulumi.secret("two") },
};

beforeEach(() => mocks.reset());

describe("DroneServicePipeline", () => {
  test("the repository with every platform setting, the secrets after it", async () => {
    const pipeline = new DroneServicePipeline("fraud-ci", ARGS);
    await mocks.settle();
    expect(tree(mocks.declared)).toEqual([
      ["mlplatform:drone:ServicePipeline", "fraud-ci", ""],
      [REPOSITORY, "fraud-ci-repository", "fraud-ci"],
      [SECRETS, "fraud-ci-secrets", "fraud-ci"],
    ]);
    const repository = one(mocks.declared, REPOSITORY, "fraud-ci-repository");
    expect(repository.inputs).toMatchObject({
      ...SERVICE_REPOSITORY_SETTINGS,
      server: "https://drone.example.test",
      owner: "acme",
      name: "fraud",
      protected: false,
      trusted: false,
    });
    expect(isSecret(repository.inputs.token)).toBe(true);
    const secrets = one(mocks.declared, SECRETS, "fraud-ci-secrets");
    expect(secrets.dependsOn).toContain(
      "urn:pulumi:test::mlplatform::mlplatform:drone:ServicePipeline$pulumi-nodejs:dynamic/drone:Repository::fraud-ci-repository",
    );
    expect(secrets.inputs.repository).toBe("acme/fraud");
    expect(isSecret(secrets.inputs.token)).toBe(true);
    expect(secrets.inputs.exposure).toEqual({
      first_secret: { pullRequest: false, pullRequestPush: false },
      "second.secret": { pullRequest: false, pullRequestPush: false },
    });
    // Every value secret, the plain one included.
    expect(isSecret(secrets.inputs.values)).toBe(true);
    expect(reveal(secrets.inputs.values)).toEqual({ first_secret: "one", "second.secret": "two" });
    expect(await new Promise((resolve) => pipeline.slug.apply(resolve))).toBe("acme/fraud");
  });

  test("a setting passed around the type cannot make the repository protected or trusted", async () => {
    new DroneServicePipeline("sneaky-ci", {
      ...ARGS,
      settings: { protected: true, trusted: true, timeoutMinutes: 30 } as never,
    });
    await mocks.settle();
    expect(one(mocks.declared, REPOSITORY, "sneaky-ci-repository").inputs).toMatchObject({
      protected: false,
      trusted: false,
      timeoutMinutes: 30,
    });
  });

  test("no secrets given: refused, naming the field", () => {
    expect(() => new DroneServicePipeline("empty-ci", { ...ARGS, secrets: {} })).toThrow(
      "DroneRepositorySecrets empty-ci-secrets: [exposure] at least one secret is needed",
    );
  });
});
