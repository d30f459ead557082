/**
 * The Drone resources under the SDK's mock engine: what the engine receives (secret token and
 * value, explicit flags, type tokens), the service pipeline's composition, and the errors a
 * mistaken argument gives when the resource is declared.
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
import { DroneRepository, DroneSecret, DroneServicePipeline } from "../../components/drone";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import { TOKEN, VALUE } from "./helpers";

const SERVER = "https://drone.acme-ml.example";

function only(type: string, name: string): Registered {
  const found = registered.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} ${name}, found ${found.length}`);
  return found[0];
}

beforeEach(() => recorder.reset());

describe("DroneSecret", () => {
  test("the engine receives the token and the value as secrets, the rest plain", async () => {
    const secret = new DroneSecret("svc-client-secret", {
      server: SERVER,
      token: TOKEN,
      repository: "acme-ml/churn-model",
      name: "databricks_client_secret",
      value: VALUE,
    });
    await settled(secret.urn);
    const r = only("pulumi-nodejs:dynamic/drone:Secret", "svc-client-secret");
    expect(isSecretWrapper(r.inputs.token)).toBe(true);
    expect(isSecretWrapper(r.inputs.value)).toBe(true);
    expect(unwrap(r.inputs.token)).toBe(TOKEN);
    expect(unwrap(r.inputs.value)).toBe(VALUE);
    expect(r.inputs.server).toBe(SERVER);
    expect(r.inputs.repository).toBe("acme-ml/churn-model");
    expect(r.inputs.name).toBe("databricks_client_secret");
    // Off unless asked, and sent explicitly.
    expect(r.inputs.pullRequest).toBe(false);
    expect(r.inputs.pullRequestPush).toBe(false);
    expect(r.inputs.namespace).toBeUndefined();
    // The provider's code travels with the resource (serialized once per process).
    expect(typeof unwrap(r.inputs.__provider)).toBe("string");
    expect(String(unwrap(r.inputs.__provider))).toContain("exports.handler");
    // The engine keeps the hash, its key and the token secret, and a forced replacement of the
    // same secret deletes before it creates (create-then-delete would remove the new one).
    expect(engineOptions.get("svc-client-secret")).toEqual({
      ignoreChanges: [],
      retainOnDelete: false,
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["token", "value", "valueHash", "hashSalt"],
    });
  });

  test("an already-secret value stays secret, and nothing plain holds it", async () => {
    const secret = new DroneSecret("org-secret", {
      server: SERVER,
      token: pulumi.secret(TOKEN),
      namespace: "acme-ml",
      name: "shared.token",
      value: pulumi.secret(VALUE),
      pullRequest: true,
    });
    await settled(secret.urn);
    const r = only("pulumi-nodejs:dynamic/drone:Secret", "org-secret");
    expect(isSecretWrapper(r.inputs.value)).toBe(true);
    expect(isSecretWrapper(r.inputs.token)).toBe(true);
    expect(r.inputs.pullRequest).toBe(true);
    expect(r.inputs.namespace).toBe("acme-ml");
    const plain = Object.entries(r.inputs).filter(([, v]) => !isSecretWrapper(v));
    expect(JSON.stringify(plain)).not.toContain(VALUE);
    expect(JSON.stringify(plain)).not.toContain(TOKEN);
  });

  test.each([
    [
      "an invalid name",
      { repository: "acme-ml/churn-model", name: "has space" },
      'DroneSecret bad: [name] "has space" is not a valid Drone secret name: use 1 to 100 letters, digits, "-", "_" or "." (e.g. "databricks_client_secret")',
    ],
    [
      "both targets",
      { repository: "acme-ml/churn-model", namespace: "acme-ml", name: "x" },
      "DroneSecret bad: [repository] set either repository (a repository secret) or namespace (an organisation secret), not both",
    ],
    [
      "no target",
      { name: "x" },
      'DroneSecret bad: [repository] missing: set repository ("owner/name") for a repository secret, or namespace for an organisation secret',
    ],
    [
      "a repository without owner",
      { repository: "churn-model", name: "x" },
      'DroneSecret bad: [repository] "churn-model" is not a repository: expected "owner/name", e.g. "acme-ml/churn-model"',
    ],
    [
      "a plain-http server",
      { repository: "acme-ml/churn-model", name: "x", server: "http://drone.example.com" },
      'DroneSecret bad: [server] "http://drone.example.com" must use https (the token travels with every request); set the stack setting mlplatform:droneServer to the https URL of the Drone server',
    ],
  ])("%s is refused when declared, naming resource and field", (_what, args, message) => {
    expect(
      () => new DroneSecret("bad", { server: SERVER, token: TOKEN, value: VALUE, ...args }),
    ).toThrow(message);
    expect(registered).toHaveLength(0);
  });

  test("a refused declaration does not echo the value or the token", () => {
    let message = "";
    try {
      new DroneSecret("bad", {
        server: SERVER,
        token: TOKEN,
        repository: "acme-ml/churn-model",
        name: "bad name",
        value: VALUE,
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("DroneSecret bad: [name]");
    expect(message).not.toContain(VALUE);
    expect(message).not.toContain(TOKEN);
  });
});

describe("DroneRepository", () => {
  test("the engine receives the token as a secret and unset settings as unset", async () => {
    const repo = new DroneRepository("svc-drone", {
      server: SERVER,
      token: TOKEN,
      owner: "acme-ml",
      name: "churn-model",
      timeoutMinutes: 90,
    });
    await settled(repo.urn);
    const r = only("pulumi-nodejs:dynamic/drone:Repository", "svc-drone");
    expect(isSecretWrapper(r.inputs.token)).toBe(true);
    expect(r.inputs).toMatchObject({ owner: "acme-ml", name: "churn-model", timeoutMinutes: 90 });
    // Defaults are the provider's (check), so they are not frozen into the program's inputs.
    expect(r.inputs.protected).toBeUndefined();
    expect(engineOptions.get("svc-drone")).toEqual({
      ignoreChanges: [],
      retainOnDelete: false,
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["token"],
    });
  });

  test("its output properties are the engine's outputs (not class fields reset to undefined)", async () => {
    const repo = new DroneRepository("svc-outputs", {
      server: SERVER,
      token: TOKEN,
      owner: "acme-ml",
      name: "churn-model",
    });
    expect(pulumi.Output.isInstance(repo.owner)).toBe(true);
    expect(pulumi.Output.isInstance(repo.slug)).toBe(true);
    const owner = await new Promise((resolve) => repo.owner.apply(resolve));
    expect(owner).toBe("acme-ml");
    const secret = new DroneSecret("svc-outputs-secret", {
      server: SERVER,
      token: TOKEN,
      repository: "acme-ml/churn-model",
      name: "some_secret",
      value: VALUE,
    });
    expect(pulumi.Output.isInstance(secret.name)).toBe(true);
    expect(await new Promise((resolve) => secret.name.apply(resolve))).toBe("some_secret");
  });

  test("a timeout out of range is refused when declared", () => {
    expect(
      () =>
        new DroneRepository("bad", {
          server: SERVER,
          token: TOKEN,
          owner: "acme-ml",
          name: "churn-model",
          timeoutMinutes: 0,
        }),
    ).toThrow(
      "DroneRepository bad: [timeoutMinutes] 0 is not a whole number of minutes from 1 to 1440",
    );
  });
});

describe("DroneServicePipeline", () => {
  test("activates the repository and creates every pipeline secret, none for pull requests", async () => {
    const values = Object.fromEntries(
      Object.entries(PIPELINE_SECRETS).map(([k, spec]) => [spec.name, `${VALUE}-${k}`]),
    );
    const pipeline = new DroneServicePipeline("churn-model-dev-ci", {
      server: SERVER,
      token: pulumi.secret(TOKEN),
      owner: "acme-ml",
      repositoryName: "churn-model",
      secrets: values,
    });
    await settled(pipeline.slug);
    await settled(pipeline.secrets.urn);
    const types = registered.map((r) => r.type).sort();
    expect(types).toEqual([
      "mlplatform:drone:ServicePipeline",
      "pulumi-nodejs:dynamic/drone:Repository",
      "pulumi-nodejs:dynamic/drone:RepositorySecrets",
    ]);
    expect(
      only("pulumi-nodejs:dynamic/drone:Repository", "churn-model-dev-ci-repository").inputs,
    ).toMatchObject({ owner: "acme-ml", name: "churn-model" });
    const set = only("pulumi-nodejs:dynamic/drone:RepositorySecrets", "churn-model-dev-ci-secrets");
    expect(set.inputs.repository).toBe("acme-ml/churn-model");
    expect(isSecretWrapper(set.inputs.token)).toBe(true);
    expect(set.inputs.exposure).toEqual(
      Object.fromEntries(
        Object.values(PIPELINE_SECRETS).map((spec) => [
          spec.name,
          { pullRequest: false, pullRequestPush: false },
        ]),
      ),
    );
    // The values travel as one secret: the engine encrypts them, plans show "[secret]".
    expect(isSecretWrapper(set.inputs.values)).toBe(true);
    expect(unwrap(set.inputs.values)).toEqual(
      Object.fromEntries(
        Object.entries(PIPELINE_SECRETS).map(([key, spec]) => [spec.name, `${VALUE}-${key}`]),
      ),
    );
    expect(engineOptions.get("churn-model-dev-ci-secrets")).toEqual({
      ignoreChanges: [],
      retainOnDelete: false,
      deleteBeforeReplace: true,
      additionalSecretOutputs: ["token", "records", "hashSalt"],
    });
    expect(await settled(pipeline.slug)).toBe("acme-ml/churn-model");
  });
});
