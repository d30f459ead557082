/**
 * DroneRepository's provider driven directly against the fake Drone server over real HTTP:
 * activation (with the repository-list sync), settings, refresh, deactivation, and the retry and
 * failure behaviour of the client underneath.
 */
import {
  DroneRepositoryInputs,
  DroneRepositoryState,
  droneRepositoryProvider,
} from "../../components/drone/repository-provider";
import { DRONE_REPOSITORY_DEFAULTS } from "../../components/drone/validation";
import { FakeDroneServer } from "./fake-drone-server";
import { CapturedOutput, FAST, TOKEN, captureOutput, rejection } from "./helpers";

const provider = droneRepositoryProvider(FAST);
const SLUG = "acme-ml/churn-model";
const PATH = "/api/repos/acme-ml/churn-model";

let drone: FakeDroneServer;
let output: CapturedOutput;
const errors: string[] = [];

function inputs(overrides: Partial<DroneRepositoryInputs> = {}): DroneRepositoryInputs {
  return {
    server: drone.url,
    token: TOKEN,
    owner: "acme-ml",
    name: "churn-model",
    ...DRONE_REPOSITORY_DEFAULTS,
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
  expect(`${output.text()}\n${errors.join("\n")}`).not.toContain(TOKEN);
});

describe("create", () => {
  test("activates the repository and applies the defaults (not protected: no pipeline file is signed)", async () => {
    drone.addRepository(SLUG);
    const result = await provider.create(inputs());
    expect(result.id).toBe(SLUG);
    expect(drone.repositories.get(SLUG)).toMatchObject({
      active: true,
      config_path: ".drone.yml",
      protected: false,
      visibility: "private",
      ignore_forks: true,
      ignore_pull_requests: false,
      auto_cancel_pull_requests: true,
      auto_cancel_pushes: true,
      timeout: 60,
      trusted: false,
    });
    expect(drone.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${PATH}`,
      `PATCH ${PATH}`,
    ]);
    expect(drone.calls("PATCH", PATH)[0].body).toEqual({
      config_path: ".drone.yml",
      protected: false,
      trusted: false,
      visibility: "private",
      ignore_forks: true,
      ignore_pull_requests: false,
      auto_cancel_pull_requests: true,
      auto_cancel_pushes: true,
      timeout: 60,
    });
    expect(result.outs).toEqual({ ...inputs(), slug: SLUG, active: true });
  });

  test("a repository Drone has not synced yet: syncs the list, then activates", async () => {
    drone.addRepository(SLUG, { synced: false });
    await provider.create(inputs());
    expect(drone.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `POST ${PATH} 404`,
      // Unknown to Drone, or not allowed? The token's user is a Drone admin, whom no access
      // check refuses, and Drone does not show the repository: unknown, so sync.
      "GET /api/user 200",
      `GET ${PATH} 404`,
      "GET /api/user/repos 200",
      // Synced in Drone's background, then polled until it ended.
      "POST /api/user/repos 204",
      "GET /api/user 200",
      `POST ${PATH} 200`,
      `PATCH ${PATH} 200`,
    ]);
    expect(drone.calls("POST", "/api/user/repos")[0].query).toBe("async=true");
    expect(drone.repositories.get(SLUG)?.active).toBe(true);
  });

  test("a repository that never appears fails after the bounded number of syncs", async () => {
    const error = await rejection(provider.create(inputs()));
    errors.push(error.message);
    expect(error.message).toBe(
      "Drone: could not activate (repository acme-ml/churn-model): Drone still does not know it after 3 syncs of the repository list (HTTP 404). Check that the GitHub repository exists and that the platform's Drone machine user has admin rights on it, then run `pulumi up` again.",
    );
    expect(drone.calls("POST", "/api/user/repos")).toHaveLength(FAST.syncAttempts);
    expect(drone.calls("POST", PATH)).toHaveLength(FAST.syncAttempts + 1);
  });

  test("is idempotent: creating an active repository again leaves it active with the settings", async () => {
    drone.addRepository(SLUG);
    await provider.create(inputs());
    await provider.create(inputs({ timeoutMinutes: 90 }));
    expect(drone.repositories.get(SLUG)).toMatchObject({ active: true, timeout: 90 });
  });

  test("a setting Drone silently ignores (timeout without admin rights) fails clearly", async () => {
    drone.addRepository(SLUG);
    drone.tokenIsAdmin = false;
    const error = await rejection(provider.create(inputs({ timeoutMinutes: 120 })));
    errors.push(error.message);
    expect(error.message).toBe(
      "Drone: could not update settings (repository acme-ml/churn-model): Drone did not apply timeoutMinutes: asked 120, kept 60. Changing the timeout needs a Drone administrator: make the platform's machine user a Drone admin (`drone user update --admin <login>`) or keep timeoutMinutes at the value Drone allows.",
    );
  });

  test("a refused token fails at once, naming repository, operation and status", async () => {
    drone.addRepository(SLUG);
    const error = await rejection(provider.create(inputs({ token: "wrong-token" })));
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not activate (repository acme-ml/churn-model): HTTP 401 (Drone says: "Unauthorized"). Drone refused the token: set a valid token of the platform\'s machine user with `pulumi config set --secret mlplatform:droneToken`, then run `pulumi up` again.',
    );
    expect(error.message).not.toContain("wrong-token");
    expect(error.stack).toBe(`DroneError: ${error.message}`);
    expect(drone.requests).toHaveLength(1);
    expect(drone.requests[0].authorized).toBe(false);
  });

  test("a 403 fails at once and says the machine user lacks rights", async () => {
    drone.addRepository(SLUG);
    drone.inject({ count: 1, status: 403, message: "Forbidden" });
    const error = await rejection(provider.create(inputs()));
    expect(error.message).toContain('HTTP 403 (Drone says: "Forbidden")');
    expect(error.message).toContain("must be a Drone administrator");
    expect(drone.requests).toHaveLength(1);
  });

  test("plain http to another host is refused before any request", async () => {
    const error = await rejection(provider.create(inputs({ server: "http://drone.example.com" })));
    expect(error.message).toBe(
      'Drone repository acme-ml/churn-model: [server] "http://drone.example.com" must use https (the token travels with every request); set the stack setting mlplatform:droneServer to the https URL of the Drone server',
    );
    expect(drone.requests).toHaveLength(0);
  });
});

describe("retries", () => {
  test("three 502s then 200 succeeds after 4 attempts", async () => {
    drone.addRepository(SLUG);
    drone.inject({ method: "POST", pathPrefix: PATH, count: 3, status: 502 });
    await provider.create(inputs());
    expect(drone.calls("POST", PATH).map((r) => r.status)).toEqual([502, 502, 502, 200]);
    expect(drone.repositories.get(SLUG)?.active).toBe(true);
    expect(output.text()).toContain(
      `Drone: POST ${PATH}: HTTP 502 (Drone says: "Bad Gateway"); retrying in`,
    );
  });

  test("four 502s exhaust the 4 attempts and fail with the last status", async () => {
    drone.addRepository(SLUG);
    drone.inject({ method: "POST", pathPrefix: PATH, count: 4, status: 502 });
    const error = await rejection(provider.create(inputs()));
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not activate \(repository acme-ml\/churn-model\): HTTP 502 \(Drone says: "Bad Gateway"\), after 4 attempts in \d+\.\d s\. Check that http:\/\/127\.0\.0\.1:\d+ is reachable and healthy, then run `pulumi up` again\.$/,
    );
    expect(drone.calls("POST", PATH)).toHaveLength(4);
    expect(drone.repositories.get(SLUG)?.active).toBe(false);
  });

  test("a 429 is retried like a server error", async () => {
    drone.addRepository(SLUG);
    drone.inject({ method: "PATCH", count: 1, status: 429 });
    await provider.create(inputs());
    expect(drone.calls("PATCH", PATH).map((r) => r.status)).toEqual([429, 200]);
  });

  test("a slow answer is retried, then fails within the total time bound", async () => {
    drone.addRepository(SLUG);
    const policy = { ...FAST, requestTimeoutMs: 50, maxElapsedMs: 300, maxAttempts: 10 };
    drone.inject({ method: "POST", pathPrefix: PATH, count: 100, delayMs: 5_000 });
    const started = Date.now();
    const error = await rejection(droneRepositoryProvider(policy).create(inputs()));
    const elapsed = Date.now() - started;
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not activate \(repository acme-ml\/churn-model\): no response: no answer within \d+ ms, after \d+ attempts in \d+\.\d s\./,
    );
    // Counted by the client: on a busy machine a 50 ms attempt may end before the server sees it.
    const attempts = (error as unknown as { attempts: number }).attempts;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThan(policy.maxAttempts);
    expect(drone.calls("POST", PATH).length).toBeLessThanOrEqual(attempts);
    expect(drone.calls("POST", PATH).length).toBeGreaterThanOrEqual(1);
    // Bounded by maxElapsedMs (plus scheduling slack), far below one 5 s answer.
    expect(elapsed).toBeLessThan(policy.maxElapsedMs + 1_000);
    expect(drone.repositories.get(SLUG)?.active).toBe(false);
  });

  test("a server that is down is retried, then fails naming the connection error", async () => {
    const url = drone.url;
    await drone.stop();
    const error = await rejection(provider.create(inputs({ server: url })));
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not activate \(repository acme-ml\/churn-model\): no response: connect ECONNREFUSED 127\.0\.0\.1:\d+, after 4 attempts in/,
    );
    drone = await FakeDroneServer.start(TOKEN);
  });
});

describe("update, diff and read", () => {
  async function created(): Promise<DroneRepositoryState> {
    drone.addRepository(SLUG);
    return (await provider.create(inputs())).outs as DroneRepositoryState;
  }

  test("owner, name or server changes replace; settings and token update", async () => {
    const olds = await created();
    const diff = (o: Partial<DroneRepositoryInputs>) => provider.diff!(SLUG, olds, inputs(o));
    expect(await diff({})).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect((await diff({ owner: "other-org" })).replaces).toEqual(["owner"]);
    expect((await diff({ name: "renamed" })).replaces).toEqual(["name"]);
    expect((await diff({ server: "https://drone2.example.com" })).replaces).toEqual(["server"]);
    for (const change of [
      { configPath: "ci/.drone.yml" },
      { protected: true },
      { trusted: true },
      { visibility: "internal" as const },
      { ignoreForks: false },
      { ignorePullRequests: true },
      { autoCancelPullRequests: false },
      { autoCancelPushes: false },
      { timeoutMinutes: 30 },
      { token: `${TOKEN}-next` },
    ]) {
      expect(await diff(change)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: false,
      });
    }
  });

  test("unset settings diff against their defaults, so omitting a default is no change", async () => {
    const olds = await created();
    const rest: Partial<DroneRepositoryInputs> = inputs();
    delete rest.configPath;
    delete rest.protected;
    delete rest.timeoutMinutes;
    expect(await provider.diff!(SLUG, olds, rest as DroneRepositoryInputs)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("update applies a changed setting and re-activates a repository turned off by hand", async () => {
    const olds = await created();
    drone.repositories.get(SLUG)!.active = false;
    const result = await provider.update!(SLUG, olds, inputs({ ignorePullRequests: true }));
    expect(drone.repositories.get(SLUG)).toMatchObject({
      active: true,
      ignore_pull_requests: true,
    });
    expect(result.outs?.ignorePullRequests).toBe(true);
  });

  test("read refreshes settings changed in Drone's UI, so the next update restores them", async () => {
    const olds = await created();
    Object.assign(drone.repositories.get(SLUG)!, { protected: true, timeout: 15 });
    const read = await provider.read!(SLUG, olds);
    expect(read).toEqual({ id: SLUG, props: { ...olds, protected: true, timeoutMinutes: 15 } });
    const diff = await provider.diff!(SLUG, read.props as DroneRepositoryState, inputs());
    expect(diff.changes).toBe(true);
  });

  test("read of a deactivated or unknown repository reports it gone", async () => {
    const olds = await created();
    drone.repositories.get(SLUG)!.active = false;
    expect(await provider.read!(SLUG, olds)).toEqual({});
    drone.repositories.delete(SLUG);
    expect(await provider.read!(SLUG, olds)).toEqual({});
  });
});

describe("delete", () => {
  test("deactivates, and deactivating twice or an unknown repository succeeds", async () => {
    drone.addRepository(SLUG);
    const olds = (await provider.create(inputs())).outs as DroneRepositoryState;
    await provider.delete!(SLUG, olds);
    expect(drone.repositories.get(SLUG)?.active).toBe(false);
    await provider.delete!(SLUG, olds);
    drone.repositories.delete(SLUG);
    await expect(provider.delete!(SLUG, olds)).resolves.toBeUndefined();
    expect(drone.calls("DELETE", PATH).map((r) => r.status)).toEqual([200, 200, 404]);
  });
});
