/**
 * DroneSecret's provider driven directly (create/read/update/diff/delete) against the fake Drone
 * server over real HTTP.
 */
import {
  DroneSecretInputs,
  DroneSecretState,
  droneSecretProvider,
  valueHash,
} from "../../components/drone/secret-provider";
import { FakeDroneServer } from "./fake-drone-server";
import { CapturedOutput, FAST, ROTATED, TOKEN, VALUE, captureOutput, rejection } from "./helpers";

const provider = droneSecretProvider(FAST);
const SLUG = "acme-ml/churn-model";
const ITEM = "/api/repos/acme-ml/churn-model/secrets/databricks_client_secret";
const COLLECTION = "/api/repos/acme-ml/churn-model/secrets";

let drone: FakeDroneServer;
let output: CapturedOutput;
const errors: string[] = [];

function inputs(overrides: Partial<DroneSecretInputs> = {}): DroneSecretInputs {
  return {
    server: drone.url,
    token: TOKEN,
    repository: SLUG,
    name: "databricks_client_secret",
    value: VALUE,
    pullRequest: false,
    pullRequestPush: false,
    ...overrides,
  };
}

async function created(overrides: Partial<DroneSecretInputs> = {}): Promise<DroneSecretState> {
  const result = await provider.create(inputs(overrides));
  return result.outs as DroneSecretState;
}

beforeAll(() => {
  output = captureOutput();
});

beforeEach(async () => {
  drone = await FakeDroneServer.start(TOKEN);
  drone.addRepository(SLUG, { active: true });
});

afterEach(async () => {
  await drone.stop();
});

afterAll(() => {
  output.restore();
  // Nothing printed and no error message ever held the token or a secret value.
  const everything = `${output.text()}\n${errors.join("\n")}`;
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(VALUE);
  expect(everything).not.toContain(ROTATED);
});

describe("create", () => {
  test("creates the secret with every field explicit, and keeps no value in the state", async () => {
    const result = await provider.create(inputs());
    expect(result.id).toBe("acme-ml/churn-model/databricks_client_secret");
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")).toEqual({
      name: "databricks_client_secret",
      data: VALUE,
      pull_request: false,
      pull_request_push: false,
    });
    const posts = drone.calls("POST", COLLECTION);
    expect(posts).toHaveLength(1);
    expect(posts[0].body).toEqual({
      name: "databricks_client_secret",
      data: VALUE,
      pull_request: false,
      pull_request_push: false,
    });
    const outs = result.outs as DroneSecretState;
    expect(JSON.stringify(outs)).not.toContain(VALUE);
    expect(outs).not.toHaveProperty("value");
    expect(outs.hashSalt).toMatch(/^[0-9a-f]{64}$/);
    expect(outs.valueHash).toBe(valueHash(outs.hashSalt, VALUE));
  });

  test("is idempotent: a second create updates the one secret instead of failing", async () => {
    await provider.create(inputs());
    await provider.create(inputs({ value: ROTATED, pullRequest: true }));
    const store = drone.secretsOf(SLUG);
    expect([...store.keys()]).toEqual(["databricks_client_secret"]);
    expect(store.get("databricks_client_secret")).toMatchObject({
      data: ROTATED,
      pull_request: true,
    });
    // One POST (the first create), then a PATCH: never a duplicate POST.
    expect(drone.calls("POST", COLLECTION)).toHaveLength(1);
    expect(drone.calls("PATCH", ITEM).map((r) => r.body)).toEqual([
      { data: ROTATED, pull_request: true, pull_request_push: false },
    ]);
  });

  test("two resources share no salt, so equal values give different hashes", async () => {
    const a = await created();
    const b = await created({ name: "other_secret" });
    expect(a.hashSalt).not.toBe(b.hashSalt);
    expect(a.valueHash).not.toBe(b.valueHash);
  });

  test("a create whose answer was lost looks the secret up again and updates it", async () => {
    // The POST is applied but answered with a 502: a blind retry would hit the duplicate 500.
    drone.inject({
      method: "POST",
      pathPrefix: COLLECTION,
      count: 1,
      status: 502,
      afterServing: true,
    });
    await provider.create(inputs());
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.data).toBe(VALUE);
    expect(drone.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
      "GET 404",
      "POST 502",
      "GET 200",
      "PATCH 200",
    ]);
    expect(drone.calls("POST", COLLECTION)).toHaveLength(1);
  });

  test("an organisation secret goes to /api/secrets/{namespace}", async () => {
    const result = await provider.create(inputs({ repository: undefined, namespace: "acme-ml" }));
    expect(result.id).toBe("acme-ml/databricks_client_secret");
    expect(drone.orgSecrets.get("acme-ml")?.get("databricks_client_secret")?.data).toBe(VALUE);
    expect(drone.calls("POST", "/api/secrets/acme-ml")).toHaveLength(1);
    expect(drone.secretsOf(SLUG).size).toBe(0);
  });

  test("an invalid name fails before any request, naming the field and the rule", async () => {
    const error = await rejection(provider.create(inputs({ name: "bad name!" })));
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone secret "bad name!": [name] "bad name!" is not a valid Drone secret name: use 1 to 100 letters, digits, "-", "_" or "." (e.g. "databricks_client_secret")',
    );
    expect(drone.requests).toHaveLength(0);
  });
});

describe("update", () => {
  test("turning pull_request off sends pull_request: false explicitly", async () => {
    const olds = await created({ pullRequest: true });
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.pull_request).toBe(true);
    const news = inputs({ pullRequest: false });
    expect(await provider.diff!("id", olds, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const result = await provider.update!("id", olds, news);
    const patches = drone.calls("PATCH", ITEM);
    expect(patches).toHaveLength(1);
    expect(patches[0].body).toHaveProperty("pull_request", false);
    expect(patches[0].body).toHaveProperty("pull_request_push", false);
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.pull_request).toBe(false);
    // The salt stays; the hash still matches the unchanged value.
    expect(result.outs?.hashSalt).toBe(olds.hashSalt);
    expect(result.outs?.valueHash).toBe(olds.valueHash);
  });

  test("a rotated value reaches Drone and gets a new hash under the same salt", async () => {
    const olds = await created();
    const result = await provider.update!("id", olds, inputs({ value: ROTATED }));
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.data).toBe(ROTATED);
    expect(result.outs?.hashSalt).toBe(olds.hashSalt);
    expect(result.outs?.valueHash).toBe(valueHash(olds.hashSalt, ROTATED));
  });

  test("an update of a secret deleted out of band creates it again", async () => {
    const olds = await created();
    drone.secretsOf(SLUG).clear();
    await provider.update!("id", olds, inputs());
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.data).toBe(VALUE);
  });
});

describe("diff", () => {
  test("detects a changed value without Drone returning it", async () => {
    const olds = await created();
    const before = drone.requests.length;
    const diff = await provider.diff!("id", olds, inputs({ value: ROTATED }));
    expect(diff).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    // Decided from the state alone: no request to Drone.
    expect(drone.requests).toHaveLength(before);
  });

  test("an unchanged value and flags give no diff", async () => {
    const olds = await created();
    expect(await provider.diff!("id", olds, inputs())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("a value that only differs in case or whitespace is still a change", async () => {
    const olds = await created();
    for (const value of [VALUE.toUpperCase(), `${VALUE} `, VALUE.slice(0, -1)]) {
      expect((await provider.diff!("id", olds, inputs({ value }))).changes).toBe(true);
    }
  });

  test("renaming the secret or moving it to another repository replaces it", async () => {
    const olds = await created();
    expect((await provider.diff!("id", olds, inputs({ name: "renamed" }))).replaces).toEqual([
      "name",
    ]);
    expect(
      (await provider.diff!("id", olds, inputs({ repository: "acme-ml/other" }))).replaces,
    ).toEqual(["repository"]);
    expect(
      (await provider.diff!("id", olds, inputs({ repository: undefined, namespace: "acme-ml" })))
        .replaces,
    ).toEqual(["repository", "namespace"]);
  });

  test("a new token is an update, not a replacement", async () => {
    const olds = await created();
    expect(await provider.diff!("id", olds, inputs({ token: `${TOKEN}-next` }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("a value unknown during preview is a change", async () => {
    const olds = await created();
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    expect((await provider.diff!("id", olds, inputs({ value: unknown }))).changes).toBe(true);
  });
});

describe("read", () => {
  test("refreshes the flags from Drone and keeps the hash", async () => {
    const olds = await created();
    drone.secretsOf(SLUG).get("databricks_client_secret")!.pull_request = true;
    const result = await provider.read!("the-id", olds);
    expect(result.id).toBe("the-id");
    expect(result.props).toEqual({ ...olds, pullRequest: true, pullRequestPush: false });
  });

  test("a secret gone from Drone reads as gone", async () => {
    const olds = await created();
    drone.secretsOf(SLUG).clear();
    expect(await provider.read!("the-id", olds)).toEqual({});
  });
});

describe("delete", () => {
  test("deletes the secret", async () => {
    const olds = await created();
    await provider.delete!("id", olds);
    expect(drone.secretsOf(SLUG).has("databricks_client_secret")).toBe(false);
    expect(drone.calls("DELETE", ITEM).map((r) => r.status)).toEqual([204]);
  });

  test("deleting an already-deleted secret succeeds", async () => {
    const olds = await created();
    await provider.delete!("id", olds);
    await expect(provider.delete!("id", olds)).resolves.toBeUndefined();
    expect(drone.calls("DELETE", ITEM).map((r) => r.status)).toEqual([204, 404]);
  });

  test("a refused token fails the delete at once, naming secret, repository and status", async () => {
    const olds = await created();
    const error = await rejection(provider.delete!("id", { ...olds, token: "revoked" }));
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not delete secret "databricks_client_secret" (repository acme-ml/churn-model): HTTP 401 (Drone says: "Unauthorized"). Drone refused the token: set a valid token of the platform\'s machine user with `pulumi config set --secret mlplatform:droneToken`, then run `pulumi up` again.',
    );
    expect(drone.calls("DELETE", ITEM)).toHaveLength(1);
    expect(drone.secretsOf(SLUG).has("databricks_client_secret")).toBe(true);
  });
});

describe("failures never reveal the value or the token", () => {
  test("a Drone error message that echoes the value is redacted", async () => {
    // A misbehaving server quoting the request back must not put the value into the error.
    drone.inject({
      method: "GET",
      pathPrefix: ITEM,
      count: 1,
      status: 400,
      message: `cannot parse ${VALUE} with token ${TOKEN}`,
    });
    const original = drone.requests.length;
    const error = await rejection(provider.create(inputs()));
    errors.push(error.message);
    expect(drone.requests.length).toBe(original + 1);
    expect(error.message).toBe(
      'Drone: could not read secret "databricks_client_secret" (repository acme-ml/churn-model): HTTP 400 (Drone says: "cannot parse [secret] with token [secret]"). Drone rejected the request body: check the arguments.',
    );
  });

  test("every failure message of every operation, with retries, holds neither", async () => {
    const olds = await created();
    drone.inject({ count: 100, status: 503 });
    for (const run of [
      () => provider.create(inputs()),
      () => provider.update!("id", olds, inputs({ value: ROTATED })),
      () => provider.read!("id", olds),
      () => provider.delete!("id", olds),
    ]) {
      const error = await rejection(run());
      errors.push(error.message, String(error.stack));
      expect(error.message).toContain("HTTP 503");
    }
    // Retries were logged (captured), and checked in afterAll.
    expect(output.text()).toContain("retrying in");
  });
});
