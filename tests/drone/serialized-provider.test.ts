/**
 * The implementations serialized by value, as the state of stacks deployed before the package
 * held them (the provider host still runs that text for their refresh and delete): written to a
 * temporary directory outside the project and run by a plain `node` child process against the
 * fake Drone server. The stubs the state holds now: provider-package.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { requiredModules, runSerialized, writeSerialized } from "../helpers/serialized-provider";
import { droneRepositoryProvider } from "../../components/drone/repository-provider";
import { droneSecretProvider } from "../../components/drone/secret-provider";
import { droneSecretSetProvider } from "../../components/drone/secret-set-provider";
import { FakeDroneServer } from "./fake-drone-server";
import { FAST, TOKEN, VALUE } from "./helpers";

/**
 * FAST, with room for a fresh node process to load fetch (undici, loaded on first use) on a busy
 * machine before its first attempt times out.
 */
const CHILD_LIMITS = { ...FAST, requestTimeoutMs: 10_000, maxElapsedMs: 30_000 };

let drone: FakeDroneServer;
let dir: string;

beforeAll(async () => {
  drone = await FakeDroneServer.start(TOKEN);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "drone-provider-"));
});

afterAll(async () => {
  await drone.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const serialized = (provider: object, file: string) => writeSerialized(provider, dir, file);

test("the serialized secret provider creates and deletes a secret from plain node", async () => {
  drone.addRepository("acme-ml/churn-model", { active: true });
  const file = await serialized(droneSecretProvider(CHILD_LIMITS), "secret-provider.js");
  // Self-contained: only node built-ins are required (HTTP is the global fetch).
  expect(requiredModules(file)).toEqual(["crypto"]);
  const inputs = {
    server: drone.url,
    token: TOKEN,
    repository: "acme-ml/churn-model",
    name: "mlflow_tracking_uri",
    value: VALUE,
    pullRequest: false,
    pullRequestPush: false,
  };
  const created = await runSerialized(file, "create", [inputs]);
  expect(created.stderr).toBe("");
  const result = JSON.parse(created.stdout) as {
    ok: { id: string; outs: Record<string, unknown> };
  };
  expect(result.ok.id).toBe("acme-ml/churn-model/mlflow_tracking_uri");
  expect(Object.keys(result.ok.outs).sort()).toEqual(
    [
      "hashSalt",
      "name",
      "pullRequest",
      "pullRequestPush",
      "repository",
      "server",
      "token",
      "valueHash",
    ].sort(),
  );
  expect(drone.secretsOf("acme-ml/churn-model").get("mlflow_tracking_uri")?.data).toBe(VALUE);
  const deleted = await runSerialized(file, "delete", ["id", result.ok.outs]);
  expect(JSON.parse(deleted.stdout)).toEqual({ ok: null });
  expect(drone.secretsOf("acme-ml/churn-model").has("mlflow_tracking_uri")).toBe(false);
});

test("the serialized secret-set provider creates a repository's secrets from plain node", async () => {
  drone.addRepository("acme-ml/search-ranking", { active: true });
  const file = await serialized(droneSecretSetProvider(CHILD_LIMITS), "secret-set-provider.js");
  const text = fs.readFileSync(file, "utf8");
  expect(requiredModules(file)).toEqual(["crypto"]);
  expect(text).not.toContain(TOKEN);
  const created = await runSerialized(file, "create", [
    {
      server: drone.url,
      token: TOKEN,
      repository: "acme-ml/search-ranking",
      exposure: {
        a_secret: { pullRequest: false, pullRequestPush: false },
        b_secret: { pullRequest: false, pullRequestPush: false },
      },
      values: { a_secret: VALUE, b_secret: `${VALUE}-b` },
    },
  ]);
  expect(created.stderr).toBe("");
  const result = JSON.parse(created.stdout) as { ok: { id: string; outs: { names: string[] } } };
  expect(result.ok.id).toBe("acme-ml/search-ranking/secrets");
  expect(result.ok.outs.names).toEqual(["a_secret", "b_secret"]);
  expect(created.stdout).not.toContain(VALUE);
  expect(drone.secretsOf("acme-ml/search-ranking").get("b_secret")?.data).toBe(`${VALUE}-b`);
  const deleted = await runSerialized(file, "delete", ["id", result.ok.outs]);
  expect(JSON.parse(deleted.stdout)).toEqual({ ok: null });
  expect(drone.secretsOf("acme-ml/search-ranking").size).toBe(0);
});

test("the serialized repository provider activates a repository from plain node", async () => {
  drone.addRepository("acme-ml/demand-forecast", { synced: false });
  const file = await serialized(droneRepositoryProvider(CHILD_LIMITS), "repository-provider.js");
  const created = await runSerialized(file, "create", [
    {
      server: drone.url,
      token: TOKEN,
      owner: "acme-ml",
      name: "demand-forecast",
    },
  ]);
  expect(created.stderr).toBe("");
  expect(JSON.parse(created.stdout).ok.id).toBe("acme-ml/demand-forecast");
  expect(drone.repositories.get("acme-ml/demand-forecast")).toMatchObject({
    active: true,
    protected: false,
    trusted: false,
    visibility: "private",
    timeout: 60,
  });
});

test("a user error from the serialized provider is a message without a stack trace", async () => {
  const file = await serialized(droneSecretProvider(CHILD_LIMITS), "secret-provider-errors.js");
  const run = await runSerialized(file, "create", [
    {
      server: drone.url,
      token: "wrong",
      repository: "acme-ml/churn-model",
      name: "x",
      value: VALUE,
    },
  ]);
  const { error } = JSON.parse(run.stdout) as { error: string };
  expect(error).toBe(
    'Drone: could not read secret "x" (repository acme-ml/churn-model): HTTP 401 (Drone says: "Unauthorized"). Drone refused the token: set a valid token of the platform\'s machine user with `pulumi config set --secret mlplatform:droneToken`, then run `pulumi up` again.',
  );
});
