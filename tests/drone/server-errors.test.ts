/**
 * Point 4 of the Drone review: answers that retrying cannot change fail at once with their real
 * cause (a webhook GitHub refused: 500 from drone/drone handler/api/repos/enable.go; a route the
 * open-source build does not serve: 501 from the `oss` stubs such as
 * handler/api/repos/secrets/none.go), an empty secret value is refused by `check` (Drone refuses
 * it: core/secret.go Secret.Validate), and the repository-list sync, which Drone runs on the
 * request's context (handler/api/user/sync.go HandleSync), runs in Drone's background instead.
 */
import {
  DroneRepositoryInputs,
  droneRepositoryProvider,
} from "../../components/drone/repository-provider";
import {
  DroneSecretInputs,
  DroneSecretState,
  droneSecretProvider,
} from "../../components/drone/secret-provider";
import {
  DroneSecretSetInputs,
  droneSecretSetProvider,
} from "../../components/drone/secret-set-provider";
import { DRONE_REPOSITORY_DEFAULTS } from "../../components/drone/validation";
import { FakeDroneServer } from "./fake-drone-server";
import { CapturedOutput, FAST, TOKEN, VALUE, captureOutput, rejection } from "./helpers";

const repositories = droneRepositoryProvider(FAST);
const secrets = droneSecretProvider(FAST);
const sets = droneSecretSetProvider(FAST);
const SLUG = "acme-ml/churn-model";
const PATH = "/api/repos/acme-ml/churn-model";
const COLLECTION = `${PATH}/secrets`;

let drone: FakeDroneServer;
let output: CapturedOutput;
const errors: string[] = [];

function repoInputs(): DroneRepositoryInputs {
  return {
    server: drone.url,
    token: TOKEN,
    owner: "acme-ml",
    name: "churn-model",
    ...DRONE_REPOSITORY_DEFAULTS,
  };
}

function secretInputs(overrides: Partial<DroneSecretInputs> = {}): DroneSecretInputs {
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

beforeAll(() => {
  output = captureOutput();
});

beforeEach(async () => {
  drone = await FakeDroneServer.start(TOKEN);
});

afterEach(async () => {
  await drone.stop();
});

afterAll(() => {
  output.restore();
  const everything = `${output.text()}\n${errors.join("\n")}`;
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(VALUE);
});

describe("a webhook GitHub refuses (500 from activation)", () => {
  test("fails after one attempt, with GitHub's words and what to check, not the server's health", async () => {
    const repo = drone.addRepository(SLUG);
    repo.webhookError = "Not Found";
    const error = await rejection(repositories.create(repoInputs()));
    errors.push(error.message);
    expect(error.message).toBe(
      "Drone: could not activate (repository acme-ml/churn-model): HTTP 500 (Drone says: \"Not Found\"). Drone's activation failed in its own handler, which answers a 500 carrying the error (drone/drone handler/api/repos/enable.go): almost always the webhook GitHub refused to create, in GitHub's words, which retrying will not change. Check that the platform's machine user has the Admin role on the GitHub repository and that the organisation's third-party (OAuth App) access policy allows Drone; if the message is a database error instead, check the Drone server's log. Then run `pulumi up` again.",
    );
    expect(drone.calls("POST", PATH)).toHaveLength(1);
    expect(drone.repositories.get(SLUG)?.active).toBe(false);
  });

  test("a bare 500 (a proxy, or Drone's panic recoverer) is still retried", async () => {
    drone.addRepository(SLUG);
    drone.inject({ method: "POST", pathPrefix: PATH, count: 1, status: 500 });
    await repositories.create(repoInputs());
    expect(drone.calls("POST", PATH).map((r) => r.status)).toEqual([500, 200]);
  });
});

describe("the open-source build (501 Not Implemented)", () => {
  test("a repository secret fails at once, saying the server is the open-source build", async () => {
    drone.addRepository(SLUG, { active: true });
    drone.openSourceBuild = true;
    const error = await rejection(secrets.create(secretInputs()));
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not read secret "databricks_client_secret" (repository acme-ml/churn-model): HTTP 501 (Drone says: "Not Implemented"). This Drone server does not serve that route: it is the open-source build (built with `-tags oss`), whose handlers for repository and organisation secrets answer 501 Not Implemented (drone/drone handler/api/repos/secrets/none.go, handler/api/secrets/none.go). Run Drone\'s standard build (the drone/drone image), which serves secrets, then run `pulumi up` again.',
    );
    expect(drone.requests).toHaveLength(1);
  });

  test("an organisation secret too", async () => {
    drone.openSourceBuild = true;
    const error = await rejection(
      secrets.create(secretInputs({ repository: undefined, namespace: "acme-ml" })),
    );
    errors.push(error.message);
    expect(error.message).toContain("HTTP 501");
    expect(error.message).toContain("open-source build");
    expect(drone.requests).toHaveLength(1);
  });
});

describe("an empty secret value", () => {
  test("is refused by check, naming the field, before anything reaches Drone", async () => {
    drone.addRepository(SLUG, { active: true });
    const checked = await secrets.check!(secretInputs(), secretInputs({ value: "" }));
    expect(checked.failures).toEqual([
      {
        property: "value",
        reason:
          'empty: Drone refuses a secret with an empty value (HTTP 400 "Invalid Secret Value"); give it a value, or remove the secret',
      },
    ]);
    const set: DroneSecretSetInputs = {
      server: drone.url,
      token: TOKEN,
      repository: SLUG,
      exposure: { mlflow_experiment_id: { pullRequest: false, pullRequestPush: false } },
      values: { mlflow_experiment_id: "" },
    };
    const setChecked = await sets.check!(set, set);
    expect(setChecked.failures?.map((f) => f.property)).toEqual(["values.mlflow_experiment_id"]);
    const error = await rejection(secrets.create(secretInputs({ value: "" })));
    errors.push(error.message);
    expect(error.message).toContain("[value] empty: Drone refuses a secret with an empty value");
    expect(drone.requests).toHaveLength(0);
  });

  test("the fake refuses it as Drone does, on create and on update", async () => {
    drone.addRepository(SLUG, { active: true });
    const olds = (await secrets.create(secretInputs())).outs as DroneSecretState;
    const send = (method: string, path: string, body: object) =>
      fetch(`${drone.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => [r.status, await r.json()]);
    expect(await send("POST", COLLECTION, { name: "other", data: "" })).toEqual([
      400,
      { message: "Invalid Secret Value" },
    ]);
    expect(await send("PATCH", `${COLLECTION}/databricks_client_secret`, { data: "" })).toEqual([
      400,
      { message: "Invalid Secret Value" },
    ]);
    expect(drone.secretsOf(SLUG).get("databricks_client_secret")?.data).toBe(VALUE);
    expect(olds.name).toBe("databricks_client_secret");
  });
});

describe("the repository-list sync", () => {
  test("the fake: a synchronous sync the client gives up on is cancelled, and syncs nothing", async () => {
    drone.addRepository(SLUG, { synced: false });
    drone.syncDurationMs = 300;
    const controller = new AbortController();
    const pending = fetch(`${drone.url}/api/user/repos`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    }).catch((e: Error) => e.name);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await pending).toBe("AbortError");
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(drone.repositories.get(SLUG)?.synced).toBe(false);
    expect(drone.calls("POST", "/api/user/repos")[0].status).toBe(499);
  });

  test("a sync longer than one request's timeout runs in Drone's background, and activation follows it", async () => {
    drone.addRepository(SLUG, { synced: false });
    // Longer than FAST's 1 s per request: a synchronous sync would be cancelled each time.
    drone.syncDurationMs = 1_500;
    const policy = { ...FAST, syncWaitMs: 10_000 };
    const result = await droneRepositoryProvider(policy).create(repoInputs());
    expect(result.id).toBe(SLUG);
    expect(drone.repositories.get(SLUG)?.active).toBe(true);
    const syncs = drone.calls("POST", "/api/user/repos");
    expect(syncs.map((r) => [r.query, r.status])).toEqual([["async=true", 204]]);
    // Polled GET /api/user until the sync had ended.
    expect(drone.calls("GET", "/api/user").length).toBeGreaterThanOrEqual(2);
  });
});
