/**
 * Point 3 of the Drone review: Drone answers "not allowed" with the same 404 as "not there"
 * (drone/drone handler/api/acl/check.go CheckAccess, acl/repo.go InjectRepository) and an
 * organisation's "not a member" with a 401 (acl/org.go CheckMembership). The providers must not
 * read such an answer as "gone" on refresh (the resource would silently drop out of the state) or
 * as "already done" on delete (the secret would stay in Drone): they fail, naming the missing
 * permission. A 404 that did mean "gone" still reads as gone.
 */
import {
  DroneRepositoryInputs,
  DroneRepositoryState,
  droneRepositoryProvider,
} from "../../components/drone/repository-provider";
import {
  DroneSecretInputs,
  DroneSecretState,
  droneSecretProvider,
} from "../../components/drone/secret-provider";
import {
  DroneSecretSetInputs,
  DroneSecretSetState,
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
const ITEM = `${PATH}/secrets/databricks_client_secret`;
const NONE = { read: false, write: false, admin: false };
const READ_ONLY = { read: true, write: false, admin: false };
const WRITE = { read: true, write: true, admin: false };

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

function setInputs(): DroneSecretSetInputs {
  const names = ["aws_ci_role_arn", "databricks_client_secret"];
  return {
    server: drone.url,
    token: TOKEN,
    repository: SLUG,
    exposure: Object.fromEntries(
      names.map((n) => [n, { pullRequest: false, pullRequestPush: false }]),
    ),
    values: Object.fromEntries(names.map((n) => [n, `${VALUE}-${n}`])),
  };
}

/** Created by a Drone administrator's token; then the token's user loses its rights. */
async function repositoryCreated(): Promise<DroneRepositoryState> {
  drone.addRepository(SLUG);
  return (await repositories.create(repoInputs())).outs as DroneRepositoryState;
}

async function secretCreated(): Promise<DroneSecretState> {
  drone.addRepository(SLUG, { active: true });
  return (await secrets.create(secretInputs())).outs as DroneSecretState;
}

/** The token's user is no Drone administrator, and Drone records `permissions` for it. */
function demote(permissions = NONE): void {
  drone.tokenIsAdmin = false;
  drone.repositories.get(SLUG)!.permissions = { ...permissions };
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

describe("the fake answers like Drone's access checks", () => {
  test("no permission: 404 Not Found on the repository, its secrets and its settings; a Drone admin passes", async () => {
    drone.addRepository(SLUG, { active: true, permissions: NONE });
    drone.tokenIsAdmin = false;
    const get = (path: string, method = "GET") =>
      fetch(`${drone.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
        body: method === "GET" || method === "DELETE" ? undefined : "{}",
      }).then(async (r) => [r.status, await r.json()]);
    expect(await get(PATH)).toEqual([404, { message: "Not Found" }]);
    expect(await get(`${PATH}/secrets`)).toEqual([404, { message: "Not Found" }]);
    expect(await get(PATH, "PATCH")).toEqual([404, { message: "Not Found" }]);
    // Read but not admin: the repository reads, its settings do not change.
    drone.repositories.get(SLUG)!.permissions = { ...READ_ONLY };
    expect((await get(PATH))[0]).toBe(200);
    expect(await get(PATH, "PATCH")).toEqual([404, { message: "Not Found" }]);
    expect(await get(`${PATH}/secrets/x`)).toEqual([404, { message: "Not Found" }]);
    // Write: a missing secret is the handler's own 404, with the store's words.
    drone.repositories.get(SLUG)!.permissions = { ...WRITE };
    expect(await get(`${PATH}/secrets/x`)).toEqual([
      404,
      { message: "sql: no rows in result set" },
    ]);
    drone.tokenIsAdmin = true;
    drone.repositories.get(SLUG)!.permissions = { ...NONE };
    expect((await get(PATH, "PATCH"))[0]).toBe(200);
  });

  test("an organisation's secrets: a non-member gets 401 with the message Not Found", async () => {
    drone.tokenIsAdmin = false;
    drone.organisations.set("acme-ml", { member: false, admin: false });
    const answer = await fetch(`${drone.url}/api/secrets/acme-ml/x`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect([answer.status, await answer.json()]).toEqual([401, { message: "Not Found" }]);
  });
});

describe("DroneRepository", () => {
  test("refresh of a repository the user may not read fails, naming read access, instead of dropping it", async () => {
    const olds = await repositoryCreated();
    demote(NONE);
    const error = await rejection(repositories.read!(SLUG, olds));
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not read \(repository acme-ml\/churn-model\): HTTP 404 \(Drone says: "Not Found"\), which here means not allowed, not gone: mlplatform-bot lacks read access on acme-ml\/churn-model/,
    );
    expect(error.message).toContain("drone user update --admin mlplatform-bot");
    expect(error.message).toContain("Nothing was taken as gone");
  });

  test("refresh by a user who is not a Drone admin of a repository Drone shows it nowhere fails: it cannot tell", async () => {
    const olds = await repositoryCreated();
    drone.tokenIsAdmin = false;
    drone.repositories.delete(SLUG);
    const error = await rejection(repositories.read!(SLUG, olds));
    errors.push(error.message);
    expect(error.message).toContain(
      "Drone shows the repository nowhere to mlplatform-bot: either Drone does not know it, or mlplatform-bot may not read it",
    );
  });

  test("refresh by a Drone admin of a repository Drone does not know: gone", async () => {
    const olds = await repositoryCreated();
    drone.repositories.delete(SLUG);
    expect(await repositories.read!(SLUG, olds)).toEqual({});
  });

  test("refresh by a user with read access but not admin still reads the settings", async () => {
    const olds = await repositoryCreated();
    demote(READ_ONLY);
    const read = await repositories.read!(SLUG, olds);
    expect(read.id).toBe(SLUG);
  });

  test("delete without admin access fails, naming the Admin role, and the repository stays active", async () => {
    const olds = await repositoryCreated();
    demote(READ_ONLY);
    const error = await rejection(repositories.delete!(SLUG, olds));
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not deactivate \(repository acme-ml\/churn-model\): HTTP 404 \(Drone says: "Not Found"\), which here means not allowed, not gone: mlplatform-bot lacks the Admin role on acme-ml\/churn-model \(Drone holds read true, write false, admin false for it\)/,
    );
    expect(drone.repositories.get(SLUG)?.active).toBe(true);
  });

  test("activation of a repository Drone knows but the user may not administer fails at once, without syncing", async () => {
    drone.addRepository(SLUG, { permissions: READ_ONLY });
    drone.tokenIsAdmin = false;
    const error = await rejection(repositories.create(repoInputs()));
    errors.push(error.message);
    expect(error.message).toContain("mlplatform-bot lacks the Admin role on acme-ml/churn-model");
    expect(drone.calls("POST", "/api/user/repos")).toHaveLength(0);
    expect(drone.calls("POST", PATH)).toHaveLength(1);
  });
});

describe("DroneSecret", () => {
  test("refresh without write access fails instead of dropping the secret from the state", async () => {
    const olds = await secretCreated();
    demote(READ_ONLY);
    const error = await rejection(secrets.read!("id", olds));
    errors.push(error.message);
    expect(error.message).toMatch(
      /^Drone: could not read secret "databricks_client_secret" \(repository acme-ml\/churn-model\): HTTP 404 \(Drone says: "Not Found"\), which here means not allowed, not gone: mlplatform-bot lacks write \(push\) access on acme-ml\/churn-model/,
    );
  });

  test("delete without write access fails, and the secret stays in Drone", async () => {
    const olds = await secretCreated();
    demote(READ_ONLY);
    const error = await rejection(secrets.delete!("id", olds));
    errors.push(error.message);
    expect(error.message).toContain(
      'could not delete secret "databricks_client_secret" (repository acme-ml/churn-model)',
    );
    expect(error.message).toContain("lacks write (push) access");
    expect(drone.secretsOf(SLUG).has("databricks_client_secret")).toBe(true);
  });

  test("with write access, a missing secret is gone at once: Drone's handler said so", async () => {
    const olds = await secretCreated();
    demote(WRITE);
    drone.secretsOf(SLUG).clear();
    drone.requests.length = 0;
    expect(await secrets.read!("id", olds)).toEqual({});
    await secrets.delete!("id", olds);
    // No access diagnosis: the 404 carried the store's "sql: no rows in result set".
    expect(drone.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET ${ITEM} 404`,
      `DELETE ${ITEM} 404`,
    ]);
  });

  test("a Drone admin's refresh of a secret whose repository Drone does not know: gone", async () => {
    const olds = await secretCreated();
    drone.repositories.delete(SLUG);
    expect(await secrets.read!("id", olds)).toEqual({});
    await expect(secrets.delete!("id", olds)).resolves.toBeUndefined();
  });

  test("create for a repository Drone does not know says to activate it first", async () => {
    const error = await rejection(secrets.create(secretInputs()));
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not create secret "databricks_client_secret" (repository acme-ml/churn-model): Drone does not know the repository (HTTP 404). Activate it first (its DroneRepository, which the secrets depend on), then run `pulumi up` again.',
    );
    expect(drone.calls("POST", `${PATH}/secrets`)).toHaveLength(0);
  });

  test("an organisation secret refused for membership names the organisation, not the token", async () => {
    drone.tokenIsAdmin = false;
    drone.organisations.set("acme-ml", { member: true, admin: false });
    const error = await rejection(
      secrets.create(secretInputs({ repository: undefined, namespace: "acme-ml" })),
    );
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not create secret "databricks_client_secret" (organisation acme-ml): HTTP 401 (Drone says: "Not Found"), which here means not allowed: the token is valid, but mlplatform-bot is not an admin of the GitHub organisation acme-ml, and Drone lets only its members read an organisation\'s secrets and only its admins change them (drone/drone handler/api/acl/org.go, CheckMembership). Make mlplatform-bot an admin of acme-ml on GitHub, or a Drone administrator (`drone user update --admin mlplatform-bot`), then run `pulumi up` again. Nothing was taken as gone.',
    );
  });

  test("an organisation secret with a refused token still says the token", async () => {
    const error = await rejection(
      secrets.read!("id", {
        ...secretInputs({ repository: undefined, namespace: "acme-ml", token: "revoked" }),
        valueHash: "00",
        hashSalt: "00",
      } as DroneSecretState),
    );
    errors.push(error.message);
    expect(error.message).toBe(
      'Drone: could not read secret "databricks_client_secret" (organisation acme-ml): HTTP 401 (Drone says: "Unauthorized"). Drone refused the token: set a valid token of the platform\'s machine user with `pulumi config set --secret mlplatform:droneToken`, then run `pulumi up` again.',
    );
  });
});

describe("DroneRepositorySecrets", () => {
  async function setCreated(): Promise<DroneSecretSetState> {
    drone.addRepository(SLUG, { active: true });
    return (await sets.create(setInputs())).outs as DroneSecretSetState;
  }

  test("refresh without write access fails instead of emptying the set", async () => {
    const olds = await setCreated();
    demote(READ_ONLY);
    const error = await rejection(sets.read!("id", olds));
    errors.push(error.message);
    expect(error.message).toContain('could not read secret "aws_ci_role_arn"');
    expect(error.message).toContain("lacks write (push) access");
  });

  test("delete without write access fails, every secret stays in Drone, and access is asked once", async () => {
    const olds = await setCreated();
    demote(READ_ONLY);
    const error = await rejection(sets.delete!("id", olds));
    errors.push(error.message);
    expect(error.message).toContain("lacks write (push) access");
    expect([...drone.secretsOf(SLUG).keys()].sort()).toEqual([
      "aws_ci_role_arn",
      "databricks_client_secret",
    ]);
    expect(drone.calls("GET", "/api/user")).toHaveLength(1);
  });

  test("refresh with access drops exactly the secrets Drone no longer has", async () => {
    const olds = await setCreated();
    demote(WRITE);
    drone.secretsOf(SLUG).delete("aws_ci_role_arn");
    const read = await sets.read!("id", olds);
    expect(Object.keys((read.props as DroneSecretSetState).records)).toEqual([
      "databricks_client_secret",
    ]);
  });
});
