/**
 * DroneRepositorySecrets' provider driven directly (create/diff/update/read/delete) against the
 * fake Drone server over real HTTP: all of a repository's secrets in one resource, only the
 * changed ones rewritten, removed names deleted, no value in the state or in any message.
 */
import {
  diffSecretSet,
  droneSecretSetProvider,
  DroneSecretSetInputs,
  DroneSecretSetState,
  resolveSecretSetInputs,
} from "../../components/drone/secret-set-provider";
import { valueHash } from "../../components/drone/secret-provider";
import { FakeDroneServer } from "./fake-drone-server";
import { CapturedOutput, FAST, ROTATED, TOKEN, VALUE, captureOutput, rejection } from "./helpers";

const provider = droneSecretSetProvider(FAST);
const SLUG = "acme-ml/churn-model";
const COLLECTION = "/api/repos/acme-ml/churn-model/secrets";
const item = (name: string) => `${COLLECTION}/${name}`;
const NAMES = ["aws_ci_role_arn", "databricks_client_secret", "mlflow_tracking_uri"];

let drone: FakeDroneServer;
let output: CapturedOutput;
const errors: string[] = [];

function inputs(overrides: Partial<DroneSecretSetInputs> = {}): DroneSecretSetInputs {
  return {
    server: drone.url,
    token: TOKEN,
    repository: SLUG,
    exposure: Object.fromEntries(
      NAMES.map((n) => [n, { pullRequest: false, pullRequestPush: false }]),
    ),
    values: Object.fromEntries(NAMES.map((n) => [n, `${VALUE}-${n}`])),
    ...overrides,
  };
}

async function created(over: Partial<DroneSecretSetInputs> = {}): Promise<DroneSecretSetState> {
  return (await provider.create(inputs(over))).outs as DroneSecretSetState;
}

/** Drone's secrets of the repository: name -> [value, pull_request, pull_request_push]. */
function inDrone(): Record<string, [string, boolean, boolean]> {
  return Object.fromEntries(
    [...drone.secretsOf(SLUG).values()].map((s) => [
      s.name,
      [s.data, s.pull_request, s.pull_request_push],
    ]),
  );
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
  const everything = `${output.text()}\n${errors.join("\n")}`;
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(VALUE);
  expect(everything).not.toContain(ROTATED);
});

describe("create", () => {
  test("creates every secret, each with every field explicit, and keeps hashes, not values", async () => {
    const result = await provider.create(inputs());
    expect(result.id).toBe("acme-ml/churn-model/secrets");
    expect(inDrone()).toEqual(
      Object.fromEntries(NAMES.map((n) => [n, [`${VALUE}-${n}`, false, false]])),
    );
    expect(drone.calls("POST", COLLECTION).map((r) => r.body)).toEqual(
      NAMES.map((n) => ({
        name: n,
        data: `${VALUE}-${n}`,
        pull_request: false,
        pull_request_push: false,
      })),
    );
    const state = result.outs as DroneSecretSetState;
    expect(Object.keys(state).sort()).toEqual(
      ["hashSalt", "names", "records", "repository", "server", "token"].sort(),
    );
    expect(state.names).toEqual(NAMES);
    expect(state.hashSalt).toMatch(/^[0-9a-f]{64}$/);
    for (const n of NAMES) {
      expect(state.records[n]).toEqual({
        valueHash: valueHash(state.hashSalt, `${VALUE}-${n}`),
        pullRequest: false,
        pullRequestPush: false,
      });
    }
    expect(JSON.stringify(state)).not.toContain(VALUE);
  });

  test("a create retried after a partial failure updates what exists and creates the rest", async () => {
    drone.inject({ method: "POST", pathPrefix: COLLECTION, count: 10, status: 400 });
    const error = await rejection(provider.create(inputs()));
    errors.push(error.message);
    expect(error.message).toContain('could not create secret "aws_ci_role_arn"');
    await drone.stop();
    drone = await FakeDroneServer.start(TOKEN);
    drone.addRepository(SLUG, { active: true });
    // Half there already, with stale values.
    await provider.create(
      inputs({
        exposure: { aws_ci_role_arn: { pullRequest: true, pullRequestPush: false } },
        values: { aws_ci_role_arn: "stale" },
      }),
    );
    await provider.create(inputs());
    expect(inDrone()).toEqual(
      Object.fromEntries(NAMES.map((n) => [n, [`${VALUE}-${n}`, false, false]])),
    );
    expect(drone.calls("PATCH", item("aws_ci_role_arn"))).toHaveLength(1);
  });
});

describe("diff and update", () => {
  test("nothing changed: no change", async () => {
    const state = await created();
    expect(diffSecretSet({ ...state }, { ...inputs() })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  test("a rotated value rewrites exactly that secret, keeping the salt", async () => {
    const state = await created();
    const news = inputs({ values: { ...inputs().values, databricks_client_secret: ROTATED } });
    expect(diffSecretSet({ ...state }, { ...news }).changes).toBe(true);
    drone.requests.length = 0;
    const updated = (await provider.update!("id", state, news)).outs as DroneSecretSetState;
    expect(
      drone.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
    ).toEqual([`PATCH ${item("databricks_client_secret")}`]);
    expect(inDrone().databricks_client_secret).toEqual([ROTATED, false, false]);
    expect(updated.hashSalt).toBe(state.hashSalt);
    expect(updated.records.databricks_client_secret.valueHash).toBe(
      valueHash(state.hashSalt, ROTATED),
    );
  });

  test("a flag turned on is applied; a removed name is deleted; a new name created", async () => {
    const state = await created();
    const news = inputs({
      exposure: {
        aws_ci_role_arn: { pullRequest: true, pullRequestPush: false },
        mlflow_tracking_uri: { pullRequest: false, pullRequestPush: false },
        new_secret: { pullRequest: false, pullRequestPush: false },
      },
      values: {
        aws_ci_role_arn: `${VALUE}-aws_ci_role_arn`,
        mlflow_tracking_uri: `${VALUE}-mlflow_tracking_uri`,
        new_secret: "fresh",
      },
    });
    drone.requests.length = 0;
    const updated = (await provider.update!("id", state, news)).outs as DroneSecretSetState;
    expect(
      drone.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`),
    ).toEqual([
      `PATCH ${item("aws_ci_role_arn")}`,
      `POST ${COLLECTION}`,
      `DELETE ${item("databricks_client_secret")}`,
    ]);
    expect(inDrone()).toEqual({
      aws_ci_role_arn: [`${VALUE}-aws_ci_role_arn`, true, false],
      mlflow_tracking_uri: [`${VALUE}-mlflow_tracking_uri`, false, false],
      new_secret: ["fresh", false, false],
    });
    expect(updated.names).toEqual(["aws_ci_role_arn", "mlflow_tracking_uri", "new_secret"]);
  });

  test("a new repository or server replaces; a token rotation or an unknown value updates", async () => {
    const state = await created();
    expect(diffSecretSet({ ...state }, { ...inputs(), repository: "acme-ml/other" })).toEqual({
      changes: true,
      replaces: ["repository"],
      deleteBeforeReplace: false,
    });
    expect(diffSecretSet({ ...state }, { ...inputs(), token: "rotated-token" })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const unknown = { ...inputs().values, aws_ci_role_arn: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" };
    expect(diffSecretSet({ ...state }, { ...inputs(), values: unknown }).changes).toBe(true);
  });
});

describe("read and delete", () => {
  test("read keeps the secrets Drone still has, with Drone's flags", async () => {
    const state = await created();
    drone.secretsOf(SLUG).delete("mlflow_tracking_uri");
    drone.secretsOf(SLUG).get("aws_ci_role_arn")!.pull_request = true;
    const read = await provider.read!("id", state);
    const props = read.props as DroneSecretSetState;
    expect(Object.keys(props.records).sort()).toEqual([
      "aws_ci_role_arn",
      "databricks_client_secret",
    ]);
    expect(props.records.aws_ci_role_arn.pullRequest).toBe(true);
    // The next diff sees the missing one and the changed flag.
    expect(diffSecretSet({ ...props }, { ...inputs() }).changes).toBe(true);
  });

  test("delete removes every secret of the set (already gone is fine)", async () => {
    const state = await created();
    drone.secretsOf(SLUG).delete("aws_ci_role_arn");
    await provider.delete!("id", state);
    expect(inDrone()).toEqual({});
    expect(drone.requests.filter((r) => r.method === "DELETE")).toHaveLength(3);
  });
});

describe("check", () => {
  test("names every problem: bad name, missing value, stray value, bad flag, bad repository", () => {
    const { problems } = resolveSecretSetInputs({
      server: "https://drone.example.com",
      token: TOKEN,
      repository: "no-slash",
      exposure: { "has space": { pullRequest: false }, ok: { pullRequest: "yes" } },
      values: { "has space": "x", stray: "y" },
    });
    expect(problems.map((p) => p.field)).toEqual([
      "repository",
      "exposure.has space",
      "exposure.ok.pullRequest",
      "values.ok",
      "values.stray",
    ]);
    expect(problems[4].reason).toBe("a value for a secret that is not declared");
  });

  test("a set needs at least one secret", () => {
    const { problems } = resolveSecretSetInputs({ ...inputs(), exposure: {}, values: {} });
    expect(problems).toEqual([{ field: "exposure", reason: "at least one secret is needed" }]);
  });
});

describe("check during a preview (values not known yet)", () => {
  const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

  test("passes when the values (or one of them) are unknown, and still refuses what is known and wrong", async () => {
    const whole = await provider.check!(inputs(), {
      ...inputs(),
      values: UNKNOWN,
    } as unknown as DroneSecretSetInputs);
    expect(whole.failures).toEqual([]);
    const one = await provider.check!(inputs(), {
      ...inputs(),
      values: { ...inputs().values, aws_ci_role_arn: UNKNOWN },
    });
    expect(one.failures).toEqual([]);
    const bad = await provider.check!(inputs(), {
      ...inputs(),
      repository: "no-slash",
      values: UNKNOWN,
    } as unknown as DroneSecretSetInputs);
    expect((bad.failures ?? []).map((f) => f.property)).toEqual(["repository"]);
  });

  test("create still refuses values that are missing once known", async () => {
    const error = await rejection(
      provider.create({ ...inputs(), values: {} } as DroneSecretSetInputs),
    );
    errors.push(error.message);
    expect(error.message).toBe(
      "Drone secrets of acme-ml/churn-model: [values.aws_ci_role_arn] missing: a secret needs a string value; [values.databricks_client_secret] missing: a secret needs a string value; [values.mlflow_tracking_uri] missing: a secret needs a string value",
    );
    expect(drone.requests).toEqual([]);
  });
});
