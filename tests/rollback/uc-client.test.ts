/** The rollback's HTTP client (deploy/rollback/uc-client.ts) over real HTTP. */
import * as http from "http";
import { AddressInfo } from "net";
import { DatabricksApiError, parseRetryAfter, UcClient } from "../../deploy/rollback/uc-client";
import { FakeDatabricks } from "./fake-databricks";
import { CLIENT_ID, MODEL, SECRET, seed } from "./helpers";

let fake: FakeDatabricks;
let delays: number[];

beforeEach(async () => {
  fake = await FakeDatabricks.start(CLIENT_ID, SECRET);
  seed(fake);
  delays = [];
});
afterEach(() => fake.stop());

function client(options: Partial<ConstructorParameters<typeof UcClient>[0]> = {}): UcClient {
  return new UcClient({
    host: `${fake.url}/`,
    clientId: CLIENT_ID,
    clientSecret: SECRET,
    baseDelayMs: 100,
    maxDelayMs: 250,
    sleep: async (ms) => void delays.push(ms),
    ...options,
  });
}

test("reads aliases, versions, tags and run metrics in the documented shapes", async () => {
  const c = client();
  expect(await c.versionByAlias(MODEL, "champion")).toEqual({
    version: 5,
    runId: "run-5",
    status: "READY",
  });
  expect(await c.versionByAlias(MODEL, "nope")).toBeNull();
  expect(await c.versionByAlias("ml_prod.models.missing", "champion")).toBeNull();
  expect(await c.modelVersion(MODEL, 3)).toEqual({ version: 3, runId: "run-3", status: "READY" });
  expect(await c.modelVersion(MODEL, 99)).toBeNull();
  expect((await c.versionTags(MODEL, 3))!.previous_champion).toBe("1");
  expect(await c.versionTags(MODEL, 99)).toBeNull();
  expect(await c.runMetrics("run-3")).toEqual({ roc_auc: 0.84 });
  await c.setAlias(MODEL, "champion", 3);
  await c.setVersionTag(MODEL, 3, "k", "v");
  expect(fake.model(MODEL).aliases.get("champion")).toBe(3);
  expect(fake.model(MODEL).versions.get(3)!.tags.k).toBe("v");
  // One token for the whole client.
  expect(fake.requests.filter((r) => r.path === "/oidc/v1/token")).toHaveLength(1);
  expect(fake.requests.find((r) => r.path.endsWith("/model-versions/get"))!.query).toEqual({
    name: MODEL,
    version: "3",
  });
});

test("backoff doubles up to its cap; retry-after wins, capped", async () => {
  fake.inject({ method: "GET", pathIncludes: "/versions/3", count: 3, status: 502 });
  await client().modelVersion(MODEL, 3);
  expect(delays).toEqual([100, 200, 250]);
  delays = [];
  fake.inject({
    method: "GET",
    pathIncludes: "/versions/3",
    count: 1,
    status: 429,
    headers: { "retry-after": "120" },
  });
  await client({ maxRetryAfterMs: 5000 }).modelVersion(MODEL, 3);
  expect(delays).toEqual([5000]);
});

test("no retry on 4xx other than 429; the error names endpoint, status and code", async () => {
  fake.inject({
    method: "GET",
    pathIncludes: "/versions/3",
    count: 1,
    status: 400,
    errorCode: "INVALID_PARAMETER_VALUE",
    message: "bad",
  });
  const error = await client()
    .modelVersion(MODEL, 3)
    .catch((e) => e);
  expect(error).toBeInstanceOf(DatabricksApiError);
  expect(error.message).toBe(
    `GET /api/2.1/unity-catalog/models/${MODEL}/versions/3 answered 400 INVALID_PARAMETER_VALUE: bad`,
  );
  expect(error.status).toBe(400);
  expect(delays).toEqual([]);
});

test("network errors: bounded attempts, then an error naming the endpoint", async () => {
  fake.inject({ method: "GET", pathIncludes: "/aliases/champion", count: 10, lost: true });
  const error = await client({ maxAttempts: 3 })
    .versionByAlias(MODEL, "champion")
    .catch((e) => e);
  expect(error.message).toMatch(
    new RegExp(
      `^GET /api/2.1/unity-catalog/models/${MODEL}/aliases/champion: no answer after 3 attempts \\(`,
    ),
  );
  expect(fake.requests.filter((r) => r.path.endsWith("/aliases/champion"))).toHaveLength(3);
});

test("a server that never answers times out per attempt", async () => {
  const silent = http.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as AddressInfo).port;
  try {
    const c = new UcClient({
      host: `http://127.0.0.1:${port}`,
      clientId: CLIENT_ID,
      clientSecret: SECRET,
      maxAttempts: 2,
      timeoutMs: 200,
      sleep: async () => undefined,
    });
    const error = await c.accessToken().catch((e) => e);
    expect(error.message).toBe(
      "POST /oidc/v1/token: no answer after 2 attempts (timed out after 200 ms)",
    );
  } finally {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test("the secret and the token never appear in an error, even when the server echoes them", async () => {
  const c = client();
  const token = await c.accessToken();
  fake.inject({
    method: "GET",
    count: 1,
    status: 403,
    message: `token ${token} of client ${CLIENT_ID}:${SECRET} denied`,
  });
  const error = await c.versionByAlias(MODEL, "champion").catch((e) => e);
  expect(error.message).not.toContain(token);
  expect(error.message).not.toContain(SECRET);
  expect(error.message).toContain("answered 403 PERMISSION_DENIED: token [redacted] of client");
});

test("parseRetryAfter: seconds or an HTTP date", () => {
  expect(parseRetryAfter("3")).toBe(3000);
  expect(parseRetryAfter(null)).toBeUndefined();
  expect(parseRetryAfter("soon")).toBeUndefined();
  const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
  expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5000);
  expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
});
