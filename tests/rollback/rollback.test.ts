/**
 * `npm run rollback` end to end, in-process, over real HTTP against a local fake Databricks
 * (tests/rollback/fake-databricks.ts), with a stand-in for the ECR lookup.
 */
import * as fs from "fs";
import * as YAML from "yaml";
import { loadCatalog } from "../../catalog/load";
import { readStacksForRollback } from "../../deploy/rollback/stacks";
import { FakeDatabricks } from "./fake-databricks";
import {
  CLIENT_ID,
  digest,
  FakeRegistry,
  MODEL,
  REPOSITORY,
  runCli,
  SECRET,
  seed,
  sha,
  versionTags,
  workspace,
  Workspace,
} from "./helpers";

const ALIAS_PATH = `/api/2.1/unity-catalog/models/${MODEL}/aliases/champion`;
const TAGS_PATH = "/api/2.0/mlflow/unity-catalog/model-versions/tags";
const IMAGE_3 = `222222222222.dkr.ecr.eu-west-1.amazonaws.com/${REPOSITORY}:${sha("3")}`;

let fake: FakeDatabricks;
let ws: Workspace;

beforeEach(async () => {
  fake = await FakeDatabricks.start(CLIENT_ID, SECRET);
  seed(fake);
  ws = workspace(fake.url);
});

afterEach(async () => {
  await fake.stop();
  ws.cleanup();
});

const champion = () => fake.model(MODEL).aliases.get("champion");
const tagsOf = (v: number) => fake.model(MODEL).versions.get(v)!.tags;
const aliasPuts = () => fake.requests.filter((r) => r.method === "PUT");
const tagPosts = () => fake.requests.filter((r) => r.method === "POST" && r.path === TAGS_PATH);

/** Nothing secret in what the command printed. */
function expectNoSecrets(text: string): void {
  expect(text).not.toContain(SECRET);
  expect(text).not.toMatch(/fake-token-/);
}

describe("rollback to the previous champion", () => {
  test("moves champion to the champion's previous_champion, tags it, prints before and after", async () => {
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(champion()).toBe(3);
    expect(tagsOf(3).rolled_back_from).toBe("5");
    // Exactly one alias write, with the documented body, and one tag write.
    expect(aliasPuts()).toHaveLength(1);
    expect(aliasPuts()[0].path).toBe(ALIAS_PATH);
    expect(aliasPuts()[0].body).toEqual({ version_num: 3 });
    expect(tagPosts().map((t) => t.body)).toEqual([
      { name: MODEL, version: "3", key: "rolled_back_from", value: "5" },
    ]);
    // The tag is written before the alias moves.
    const order = fake.writes().map((w) => w.method);
    expect(order).toEqual(["POST", "PUT"]);
    // Before and after: alias, version, git sha, image digest, gate metric.
    const before = r.out.split("\n").find((l) => l.startsWith("before"))!;
    const after = r.out.split("\n").find((l) => l.startsWith("after"))!;
    expect(before).toMatch(
      new RegExp(`champion\\s+version 5\\s+${sha("5")}\\s+${digest("5")}\\s+roc_auc 0\\.79`),
    );
    expect(after).toMatch(
      new RegExp(`champion\\s+version 3\\s+${sha("3")}\\s+${digest("3")}\\s+roc_auc 0\\.84`),
    );
    expect(r.out).toContain(`champion of ${MODEL} moved from version 5 to version 3`);
    // Not pinned: the snippet to apply.
    expect(r.out).toContain(
      `images:\n  prod:\n    gitSha: ${sha("3")}\n    digest: ${digest("3")}`,
    );
    expectNoSecrets(r.out + r.err);
  });

  test("authenticates as the platform's principal (OAuth M2M) and sends the token on every call", async () => {
    await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    const token = fake.requests.filter((r) => r.path === "/oidc/v1/token");
    expect(token).toHaveLength(1);
    expect(token[0].method).toBe("POST");
    expect(token[0].body).toEqual({ grant_type: "client_credentials", scope: "all-apis" });
    expect(token[0].authorization).toBe(
      `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET}`).toString("base64")}`,
    );
    const api = fake.requests.filter((r) => r.path !== "/oidc/v1/token");
    expect(api.length).toBeGreaterThan(5);
    expect(api.every((r) => r.authorized && r.status === 200)).toBe(true);
  });

  test("the registry is asked for the target's digest in the environment's repository", async () => {
    const registry = new FakeRegistry();
    await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"], { registry });
    expect(registry.lookups).toEqual([
      {
        registryId: "222222222222",
        repository: REPOSITORY,
        digest: digest("3"),
        region: "eu-west-1",
      },
    ]);
  });

  test("idempotent: a second run says nothing to do and writes nothing", async () => {
    expect((await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"])).code).toBe(0);
    const writes = fake.writes().length;
    const second = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(second.code).toBe(0);
    expect(second.out).toContain("nothing to do");
    expect(second.out).toContain("already is a rollback (from version 5");
    expect(fake.writes()).toHaveLength(writes);
    expect(champion()).toBe(3);
  });

  test("--to-version naming the champion: nothing to do, exit 0, no write", async () => {
    const r = await runCli(ws, [
      "product-recommender",
      "--stack",
      "prod",
      "--to-version",
      "5",
      "--yes",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("nothing to do: champion already is version 5");
    expect(fake.writes()).toEqual([]);
  });
});

describe("--to-version", () => {
  test("moves champion to the named version and records where it came from", async () => {
    const r = await runCli(ws, [
      "product-recommender",
      "--stack",
      "prod",
      "--to-version",
      "1",
      "--yes",
    ]);
    expect(r.code).toBe(0);
    expect(champion()).toBe(1);
    expect(tagsOf(1).rolled_back_from).toBe("5");
    expect(r.out).toMatch(/after\s+champion\s+version 1/);
  });

  test("a model without champion gets one, without a rolled_back_from tag", async () => {
    fake.model(MODEL).aliases.delete("champion");
    const r = await runCli(ws, [
      "product-recommender",
      "--stack",
      "prod",
      "--to-version",
      "3",
      "--yes",
    ]);
    expect(r.code).toBe(0);
    expect(champion()).toBe(3);
    expect(tagPosts()).toEqual([]);
    expect(r.out).toMatch(/before\s+champion\s+\(none\)/);
  });
});

describe("refusals (exit 1, nothing written)", () => {
  async function refused(args: string[], pattern: RegExp | string, options = {}) {
    const r = await runCli(ws, args, options);
    expect(r.code).toBe(1);
    if (typeof pattern === "string") expect(r.err).toContain(pattern);
    else expect(r.err).toMatch(pattern);
    expect(fake.writes()).toEqual([]);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expectNoSecrets(r.out + r.err);
    return r;
  }

  test("an unknown service, naming the file that does not exist", async () => {
    await refused(
      ["no-such-service", "--stack", "prod", "--yes"],
      /unknown service "no-such-service": .*services\/no-such-service\.yaml does not exist/,
    );
    expect(fake.requests).toEqual([]);
  });

  test("a service that is not in the stack's environment, naming entry and stack files", async () => {
    await refused(
      ["search-ranking", "--stack", "prod", "--yes"],
      /services\/search-ranking\.yaml: search-ranking is not in environment prod of stack prod \(.*stacks\/Pulumi\.prod\.yaml\); its environments: dev/,
    );
    expect(fake.requests).toEqual([]);
  });

  test("a version that does not exist", async () => {
    await refused(
      ["product-recommender", "--stack", "prod", "--to-version", "42", "--yes"],
      `version 42 of ${MODEL} does not exist`,
    );
  });

  test("a version that failed the gate", async () => {
    await refused(
      ["product-recommender", "--stack", "prod", "--to-version", "2", "--yes"],
      'version 2 did not pass the gate (validation_status "failed": roc_auc 0.61 < 0.75)',
    );
  });

  test("a version without validation_status", async () => {
    delete tagsOf(3).validation_status;
    await refused(
      ["product-recommender", "--stack", "prod", "--to-version", "3", "--yes"],
      "validation_status not set",
    );
  });

  test("a version whose image is no longer in the environment's registry", async () => {
    await refused(
      ["product-recommender", "--stack", "prod", "--to-version", "6", "--yes"],
      `the image of version 6 is no longer in prod's registry: no image ${digest("6")} in ${REPOSITORY}`,
    );
  });

  test("when the registry cannot be asked", async () => {
    const registry = new FakeRegistry();
    registry.failWith = "aws ecr describe-images failed: Unable to locate credentials";
    await refused(
      ["product-recommender", "--stack", "prod", "--yes"],
      "cannot check that the image of version 3",
      { registry },
    );
  });

  test("a champion without previous_champion", async () => {
    fake.model(MODEL).aliases.set("champion", 1);
    await refused(
      ["product-recommender", "--stack", "prod", "--yes"],
      "has no previous_champion tag",
    );
  });

  test("a model without champion and no --to-version", async () => {
    fake.model(MODEL).aliases.delete("champion");
    await refused(["product-recommender", "--stack", "prod", "--yes"], `${MODEL} has no champion`);
  });

  test("without the client secret (before any request)", async () => {
    await refused(
      ["product-recommender", "--stack", "prod", "--yes"],
      "DATABRICKS_CLIENT_SECRET is not set",
      {
        env: { MLPLATFORM_ALLOW_HTTP_HOSTS: "127.0.0.1" },
      },
    );
    expect(fake.requests).toEqual([]);
  });

  test("with a wrong client secret: the token request fails, the secret is not printed", async () => {
    const r = await refused(
      ["product-recommender", "--stack", "prod", "--yes"],
      "POST /oidc/v1/token answered 401 invalid_client: Client authentication failed",
      {
        env: {
          DATABRICKS_CLIENT_SECRET: "wrong-secret-value",
          MLPLATFORM_ALLOW_HTTP_HOSTS: "127.0.0.1",
        },
      },
    );
    expect(r.err).not.toContain("wrong-secret-value");
    expect(r.err).toContain("hint: check the stack's mlplatform:databricksClientId");
    expect(fake.requests.filter((q) => q.path === "/oidc/v1/token")).toHaveLength(1); // 4xx: no retry
  });

  test("stdin is not a terminal and --yes is missing", async () => {
    await refused(
      ["product-recommender", "--stack", "prod"],
      "stdin is not a terminal, so the move cannot be confirmed: pass --yes",
    );
  });

  test("on a terminal, an answer other than yes", async () => {
    const questions: string[] = [];
    await refused(["product-recommender", "--stack", "prod"], "not confirmed; nothing written", {
      isTTY: true,
      confirm: async (q: string) => {
        questions.push(q);
        return false;
      },
    });
    expect(questions).toEqual([`Move champion of ${MODEL} from version 5 to version 3? [y/N] `]);
  });

  test("the champion moved between the read and the write", async () => {
    fake.addVersion(MODEL, 7, versionTags(sha("7"), digest("7"), "passed", 5));
    // The first read is the rollback's; just before the second (the check), someone moves it.
    fake.before({
      method: "GET",
      pathIncludes: "/aliases/champion",
      count: 2,
      run: () => {
        if (fake.requests.filter((r) => r.method === "GET" && r.path === ALIAS_PATH).length === 2)
          fake.model(MODEL).aliases.set("champion", 7);
      },
    });
    await refused(
      ["product-recommender", "--stack", "prod", "--yes"],
      "champion moved from version 5 to version 7 while rolling back; run again",
    );
    expect(champion()).toBe(7);
  });
});

test("the champion read back after the move is another version: error, exit 1", async () => {
  fake.addVersion(MODEL, 7, versionTags(sha("7"), digest("7"), "passed", 5));
  fake.before({
    method: "GET",
    pathIncludes: "/aliases/champion",
    count: 3,
    run: () => {
      if (fake.requests.filter((r) => r.method === "GET" && r.path === ALIAS_PATH).length === 3)
        fake.model(MODEL).aliases.set("champion", 7);
    },
  });
  const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
  expect(r.code).toBe(1);
  expect(r.err).toContain("champion was set to version 3, but reads back as version 7");
});

test("on a terminal, yes moves the champion", async () => {
  const r = await runCli(ws, ["product-recommender", "--stack", "prod"], {
    isTTY: true,
    confirm: async () => true,
  });
  expect(r.code).toBe(0);
  expect(champion()).toBe(3);
});

test("--dry-run prints before and after and writes nothing", async () => {
  const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--dry-run"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/before\s+champion\s+version 5/);
  expect(r.out).toMatch(/after\s+champion\s+version 3/);
  expect(r.out).toContain("dry run: nothing written");
  expect(fake.requests.some((q) => q.method === "PUT")).toBe(false);
  expect(fake.writes()).toEqual([]);
  expect(champion()).toBe(5);
  expect(tagsOf(3).rolled_back_from).toBeUndefined();
});

test("an unknown stack is a usage error (exit 2)", async () => {
  const r = await runCli(ws, ["product-recommender", "--stack", "staging", "--yes"]);
  expect(r.code).toBe(2);
  expect(r.err).toContain('unknown stack "staging" (stacks in');
  expect(r.err).toContain("dev, prod");
});

test("the gate metric is n/a when the run cannot be read", async () => {
  fake.runs.delete("run-5");
  fake.inject({ method: "GET", pathIncludes: "/mlflow/runs/get", count: 1, status: 403 });
  const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(
    new RegExp(`before\\s+champion\\s+version 5\\s+${sha("5")}\\s+${digest("5")}\\s+roc_auc n/a`),
  );
});

describe("faults", () => {
  test("a lost answer to the alias write: the write happened, the retry is harmless", async () => {
    fake.inject({ method: "PUT", pathIncludes: "/aliases/champion", count: 1, lost: true });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(aliasPuts()).toHaveLength(2);
    expect(aliasPuts()[0].status).toBe(0);
    expect(aliasPuts()[1].status).toBe(200);
    expect(champion()).toBe(3);
  });

  test("a lost answer to the tag write and to a read", async () => {
    fake.inject({ method: "POST", pathIncludes: "/model-versions/tags", count: 1, lost: true });
    fake.inject({ method: "GET", pathIncludes: "/versions/3", count: 1, lost: true });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.code).toBe(0);
    expect(tagPosts()).toHaveLength(2);
    expect(tagsOf(3).rolled_back_from).toBe("5");
    expect(champion()).toBe(3);
  });

  test("429 with retry-after: waits what the server says, then goes on", async () => {
    fake.inject({
      method: "GET",
      pathIncludes: "/aliases/champion",
      count: 1,
      status: 429,
      headers: { "retry-after": "2" },
    });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.delays).toEqual([2000]);
    expect(champion()).toBe(3);
  });

  test("5xx is retried with backoff", async () => {
    fake.inject({ method: "PUT", pathIncludes: "/aliases/champion", count: 2, status: 503 });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.delays).toEqual([10, 20]);
    expect(aliasPuts()).toHaveLength(3);
    expect(champion()).toBe(3);
  });

  test("5xx beyond the attempts: fails naming the endpoint and the status", async () => {
    fake.inject({ method: "GET", pathIncludes: "/aliases/champion", count: 10, status: 500 });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"], {
      maxAttempts: 3,
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error: GET ${ALIAS_PATH} answered 500 INTERNAL_ERROR: Internal Server Error (after 3 attempts)`,
    );
    expect(fake.requests.filter((q) => q.path === ALIAS_PATH)).toHaveLength(3);
    expect(fake.writes()).toEqual([]);
  });

  test("403 on the alias write: no retry, a clear message, the secret and token not printed", async () => {
    fake.inject({
      method: "PUT",
      pathIncludes: "/aliases/champion",
      count: 1,
      status: 403,
      message: `User does not have MANAGE on Registered Model '${MODEL}'.`,
    });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error: PUT ${ALIAS_PATH} answered 403 PERMISSION_DENIED: User does not have MANAGE on Registered Model '${MODEL}'.`,
    );
    expect(r.err).toContain("hint: the platform's Databricks principal may not change the model");
    expect(aliasPuts()).toHaveLength(1);
    expect(r.delays).toEqual([]);
    expect(champion()).toBe(5);
    expectNoSecrets(r.out + r.err);
    // The tag went first; the message says so, and that running again is the way out.
    expect(tagsOf(3).rolled_back_from).toBe("5");
    expect(r.err).toContain(
      "champion is most likely still version 5; version 3 already carries rolled_back_from=5",
    );
    expect(r.err).toContain("run the same command again");
    // Once the permission is fixed, the same command finishes the job.
    const again = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(again.code).toBe(0);
    expect(champion()).toBe(3);
  });

  test("a bad bearer token is a 401 from the API (not retried)", async () => {
    fake.inject({
      method: "GET",
      pathIncludes: "/aliases/champion",
      count: 1,
      status: 401,
      errorCode: "UNAUTHENTICATED",
    });
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`GET ${ALIAS_PATH} answered 401 UNAUTHENTICATED`);
  });
});

describe("--write-pin", () => {
  test("pins the target's image for the environment in a copy of the catalog, keeping comments", async () => {
    const original = fs.readFileSync(ws.entryFile, "utf8");
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes", "--write-pin"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const text = fs.readFileSync(ws.entryFile, "utf8");
    const doc = YAML.parse(text);
    expect(doc.images.prod).toEqual({ gitSha: sha("3"), digest: digest("3") });
    expect(doc.images.dev).toEqual(YAML.parse(original).images.dev);
    // Comments and layout stay; only the two prod lines change.
    expect(text).toContain("# yaml-language-server: $schema=./schema.json");
    expect(text).toContain(
      "# The image each environment runs: the training pipeline prints the sha and digest of the image it",
    );
    expect(text).toContain("owners: [alice-ml, bob-data]");
    const a = original.split("\n");
    const b = text.split("\n");
    expect(b).toHaveLength(a.length);
    expect(a.filter((line, i) => line !== b[i])).toEqual([
      `    gitSha: ${YAML.parse(original).images.prod.gitSha}`,
      `    digest: ${YAML.parse(original).images.prod.digest}`,
    ]);
    // The catalog is still valid.
    const stacks = readStacksForRollback(ws.stacksDir, {
      MLPLATFORM_ALLOW_HTTP_HOSTS: "127.0.0.1",
    });
    const entry = loadCatalog(ws.servicesDir, stacks).find(
      (f) => f.entry.name === "product-recommender",
    )!;
    expect(entry.entry.images.prod).toEqual({ gitSha: sha("3"), digest: digest("3") });
    // The hint.
    expect(r.out).toContain(`+     gitSha: ${sha("3")}`);
    expect(r.out).toContain(
      `open a pull request with this change; the plan will show the jobs moving to ${IMAGE_3}`,
    );
  });

  test("with --dry-run the entry is not written", async () => {
    const original = fs.readFileSync(ws.entryFile, "utf8");
    const r = await runCli(ws, [
      "product-recommender",
      "--stack",
      "prod",
      "--dry-run",
      "--write-pin",
    ]);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(ws.entryFile, "utf8")).toBe(original);
    expect(r.out).toContain("dry run: would write the pin into");
    expect(fake.writes()).toEqual([]);
  });

  test("after the alias moved, a second run with --write-pin still writes the pin (nothing else)", async () => {
    await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    const writes = fake.writes().length;
    const r = await runCli(ws, ["product-recommender", "--stack", "prod", "--yes", "--write-pin"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("nothing to do");
    expect(YAML.parse(fs.readFileSync(ws.entryFile, "utf8")).images.prod.gitSha).toBe(sha("3"));
    expect(fake.writes()).toHaveLength(writes);
    // A third run: the pin is there already.
    const third = await runCli(ws, [
      "product-recommender",
      "--stack",
      "prod",
      "--yes",
      "--write-pin",
    ]);
    expect(third.out).toContain("already pins");
  });

  test("without --write-pin the entry is untouched", async () => {
    const original = fs.readFileSync(ws.entryFile, "utf8");
    await runCli(ws, ["product-recommender", "--stack", "prod", "--yes"]);
    expect(fs.readFileSync(ws.entryFile, "utf8")).toBe(original);
  });
});
