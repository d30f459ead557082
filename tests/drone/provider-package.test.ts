/**
 * The dynamic providers as an installed package: the state keeps a one-line provider text per
 * resource (components/dynamic-providers.ts providerText) and the engine's provider host loads the
 * implementation from @mlplatform/dynamic-providers. Here: the text (exact, size, requires), the
 * package's build, the text run the way the host runs it (require-from-string from the project
 * directory, plain node) against the fake Drone server, the former 2 KB stub that existing states
 * hold, and the resources' identity, the same as pulumi.dynamic.Resource registers.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_DIR, requiredModules, runSerialized } from "../helpers/serialized-provider";
import { recordRegistrations, settled, unwrap } from "../helpers/registrations";

const recorder = recordRegistrations();

// Imported after setMocks, as the program would be.
import {
  PackagedDynamicResource,
  PROVIDER_KEY,
  PROVIDER_PACKAGE,
  PROVIDER_TYPES,
  ProviderKind,
  providerText,
} from "../../components/dynamic-providers";
import { DroneRepository, DroneRepositorySecrets, DroneSecret } from "../../components/drone";
import { GitCommit } from "../../components/github";
import { PROVIDER_KINDS, provider } from "../../components/provider-package";
import { droneRepositoryProvider } from "../../components/drone/repository-provider";
import { droneSecretProvider } from "../../components/drone/secret-provider";
import {
  DroneSecretSetInputs,
  droneSecretSetProvider,
} from "../../components/drone/secret-set-provider";
import { commitState, gitCommitProvider } from "../../components/github/commit-provider";
import { FakeDroneServer } from "./fake-drone-server";
import { FAST, TOKEN, VALUE } from "./helpers";

/**
 * FAST, with room for a fresh node process to load fetch (undici, loaded on first use) on a busy
 * machine before its first attempt times out.
 */
const CHILD_LIMITS = { ...FAST, requestTimeoutMs: 10_000, maxElapsedMs: 30_000 };

const KINDS = Object.keys(PROVIDER_TYPES) as ProviderKind[];
/** Upper bound of one provider text, in bytes (the former stub: 1.9 to 2.3 KB; the code: 40-48 KB). */
const MAX_TEXT_BYTES = 120;
/**
 * The droneRepository stub the state of stacks deployed before held as `__provider`, byte for
 * byte: pulumi.runtime.serializeFunction of the former components/dynamic-providers.ts
 * packagedProvider("droneRepository").
 */
const FORMER_STUB = fs.readFileSync(path.join(__dirname, "former-repository-stub.txt"), "utf8");

let drone: FakeDroneServer;
let dir: string;

beforeAll(async () => {
  drone = await FakeDroneServer.start(TOKEN);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-package-"));
});

afterAll(async () => {
  await drone.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => recorder.reset());

/** Writes a `__provider` text into the temporary folder; returns the path. */
function writeText(text: string, file: string): string {
  const target = path.join(dir, file);
  fs.writeFileSync(target, text);
  return target;
}

/** One call of a host sequence: method and arguments; `{ $result: i, key }` stands for call i's result (its `key`). */
type HostCall = [method: string, args: unknown[]];
type HostResult = { ok: unknown } | { error: string };

/** The SDK's own require-from-string, which its provider host evaluates the text with. */
const REQUIRE_FROM_STRING = require.resolve("require-from-string", {
  paths: [path.dirname(require.resolve("@pulumi/pulumi"))],
});

/**
 * Runs `calls` in order in one plain node child from the project directory, as one provider host
 * process serves the calls of a deployment: the text evaluated once with require-from-string and
 * no file name, `handler()` called once (@pulumi/pulumi cmd/dynamic-provider/index.js getProvider).
 */
function runHost(
  file: string,
  calls: HostCall[],
): Promise<{ results: HostResult[]; stderr: string }> {
  const script = `
    const provider = require(${JSON.stringify(REQUIRE_FROM_STRING)})(
      require("fs").readFileSync(process.argv[1], "utf8"),
    ).handler();
    const results = [];
    const ref = (v) =>
      Array.isArray(v) ? v.map(ref)
      : v && typeof v === "object"
        ? "$result" in v
          ? v.key === undefined ? results[v.$result].ok : results[v.$result].ok[v.key]
          : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, ref(x)]))
        : v;
    (async () => {
      for (const [method, args] of JSON.parse(process.env.HOST_CALLS)) {
        try {
          const r = await provider[method](...ref(args));
          results.push({ ok: r === undefined ? null : r });
        } catch (e) {
          results.push({ error: e.message });
        }
      }
      process.stdout.write(JSON.stringify(results));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script, file], {
      cwd: PROJECT_DIR,
      env: { PATH: process.env.PATH ?? "", HOST_CALLS: JSON.stringify(calls) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", () => resolve({ results: JSON.parse(stdout) as HostResult[], stderr }));
  });
}

test("each provider text is one line that requires only the package and names its kind", () => {
  expect(providerText("droneRepository")).toBe(
    'exports.handler = () => require("@mlplatform/dynamic-providers").provider("droneRepository");\n',
  );
  expect(providerText("gitCommit", { maxAttempts: 2 })).toBe(
    'exports.handler = () => require("@mlplatform/dynamic-providers").provider("gitCommit", {"maxAttempts":2});\n',
  );
  for (const kind of KINDS) {
    const file = writeText(providerText(kind), `${kind}.js`);
    const text = fs.readFileSync(file, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(text.split("\n")).toHaveLength(2);
    expect(requiredModules(file)).toEqual([PROVIDER_PACKAGE]);
    expect(text.match(/require\(/g)).toHaveLength(1);
    expect(text).toContain(`.provider("${kind}")`);
    expect(text).not.toMatch(/callDrone|callGitHub|exchangeJson|\/api\/repos/);
  }
  // The former stub was 20 times larger, and the code by value 400 times.
  expect(Buffer.byteLength(FORMER_STUB)).toBe(2_270);
});

test("the package serves exactly the kinds the resources register, with their implementations", () => {
  expect([...PROVIDER_KINDS].sort()).toEqual([...KINDS].sort());
  const implementations: Record<ProviderKind, object> = {
    droneRepository: droneRepositoryProvider(),
    droneSecret: droneSecretProvider(),
    droneSecretSet: droneSecretSetProvider(),
    gitCommit: gitCommitProvider(),
  };
  for (const kind of KINDS) {
    // What handler() returns is what the host calls: the implementation's own methods.
    expect(Object.keys(provider(kind)).sort()).toEqual(Object.keys(implementations[kind]).sort());
    expect(provider(kind)).toBe(provider(kind));
  }
  expect(Object.keys(provider("gitCommit"))).not.toContain("read");
  expect(Object.keys(provider("droneRepository")).sort()).toEqual(
    ["check", "create", "delete", "diff", "read", "update"].sort(),
  );
});

test("the installed lib/ is what the build step makes of the current sources, linked", () => {
  // A plain node child: the build is plain JavaScript (it runs before anything is compiled).
  const build = (args: string[]) =>
    spawnSync(process.execPath, ["packages/dynamic-providers/build.js", ...args], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });
  const check = build(["--check"]);
  expect(check.stderr).toBe("");
  expect(check.status).toBe(0);
  // Not committed: git ignores it, and the package's lib/ holds exactly the entry's imports.
  const ignored = spawnSync("git", ["check-ignore", "packages/dynamic-providers/lib/x.js"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  expect(ignored.stdout).toBe("packages/dynamic-providers/lib/x.js\n");
  const lib = path.join(PROJECT_DIR, "packages", "dynamic-providers", "lib");
  expect(fs.readdirSync(path.join(lib, "drone")).sort()).toEqual([
    "access.js",
    "client.js",
    "repository-provider.js",
    "secret-provider.js",
    "secret-set-provider.js",
    "validation.js",
  ]);
  expect(fs.readFileSync(path.join(lib, "provider-package.js"), "utf8")).toMatch(
    /^\/\/ Generated by packages\/dynamic-providers\/build\.js from components\/provider-package\.ts: do not edit\.\n"use strict";/,
  );
  // Resolved from the project as the provider host resolves it: the project's own folder.
  const resolved = require.resolve(PROVIDER_PACKAGE, { paths: [PROJECT_DIR] });
  expect(fs.realpathSync(resolved)).toBe(path.join(lib, "provider-package.js"));
});

describe("the provider text run by plain node from the project directory, as the provider host runs it", () => {
  const run = (kind: ProviderKind, method: Parameters<typeof runSerialized>[1], args: unknown[]) =>
    runSerialized(writeText(providerText(kind, CHILD_LIMITS), `${kind}-fast.js`), method, args, {
      host: true,
    });
  const ok = (out: { stdout: string; stderr: string }) => {
    expect(out.stderr).toBe("");
    return (JSON.parse(out.stdout) as { ok: unknown }).ok;
  };
  const repository = (owner: string, name: string) => ({
    server: drone.url,
    token: TOKEN,
    owner,
    name,
    configPath: ".drone.yml",
    protected: false,
    trusted: false,
    visibility: "private",
    ignoreForks: true,
    ignorePullRequests: false,
    autoCancelPullRequests: true,
    autoCancelPushes: true,
    timeoutMinutes: 60,
  });

  test("a repository: check, create, diff, read, delete", async () => {
    drone.addRepository("acme-ml/fraud-score", { synced: true });
    const inputs = repository("acme-ml", "fraud-score");
    const file = writeText(providerText("droneRepository", CHILD_LIMITS), "repository-fast.js");
    const id = { $result: 1, key: "id" };
    const outs = { $result: 1, key: "outs" };
    const first = await runHost(file, [
      ["check", [{}, inputs]],
      ["create", [inputs]],
      ["diff", [id, outs, inputs]],
      ["diff", [id, outs, { ...inputs, name: "fraud-score-2" }]],
      ["read", [id, outs]],
    ]);
    expect(first.stderr).toBe("");
    const [checked, made, same, renamed, read] = first.results.map((r) => {
      expect(r).not.toHaveProperty("error");
      return (r as { ok: Record<string, unknown> }).ok;
    });
    expect(checked.failures).toEqual([]);
    expect((checked.inputs as Record<string, unknown>).timeoutMinutes).toBe(60);
    expect(made.id).toBe("acme-ml/fraud-score");
    expect((made.outs as Record<string, unknown>).active).toBe(true);
    expect(drone.repositories.get("acme-ml/fraud-score")).toMatchObject({
      active: true,
      timeout: 60,
    });
    expect(same).toMatchObject({ changes: false });
    expect(renamed).toMatchObject({ changes: true, replaces: ["name"] });
    expect(read.id).toBe("acme-ml/fraud-score");
    expect((read.props as Record<string, unknown>).active).toBe(true);

    const second = await runHost(file, [
      ["delete", [made.id, made.outs]],
      ["read", [made.id, made.outs]],
    ]);
    expect(second.stderr).toBe("");
    // Deactivated, and so gone for a refresh.
    expect(second.results).toEqual([{ ok: null }, { ok: {} }]);
    expect(drone.repositories.get("acme-ml/fraud-score")?.active).toBe(false);
  });

  test("a repository's secrets: create and delete, no value in the output", async () => {
    drone.addRepository("acme-ml/uplift", { active: true });
    const created = await run("droneSecretSet", "create", [
      {
        server: drone.url,
        token: TOKEN,
        repository: "acme-ml/uplift",
        exposure: { a_secret: { pullRequest: false, pullRequestPush: false } },
        values: { a_secret: VALUE },
      },
    ]);
    expect(created.stdout).not.toContain(VALUE);
    const result = ok(created) as { id: string; outs: { names: string[] } };
    expect(result.id).toBe("acme-ml/uplift/secrets");
    expect(result.outs.names).toEqual(["a_secret"]);
    expect(drone.secretsOf("acme-ml/uplift").get("a_secret")?.data).toBe(VALUE);
    expect(ok(await run("droneSecretSet", "delete", [result.id, result.outs]))).toBeNull();
    expect(drone.secretsOf("acme-ml/uplift").size).toBe(0);
  });

  test("a user error is the message alone, the token redacted", async () => {
    const out = await run("droneSecret", "create", [
      {
        server: drone.url,
        token: "wrong-token-3b1d",
        repository: "acme-ml/churn-model",
        name: "x",
        value: VALUE,
      },
    ]);
    const { error } = JSON.parse(out.stdout) as { error: string };
    expect(error).toMatch(
      /^Drone: could not read secret "x" \(repository acme-ml\/churn-model\): HTTP 401/,
    );
    expect(error).not.toContain("wrong-token-3b1d");
  });

  test("outside a project with the package installed, the host cannot load it", async () => {
    const file = writeText(providerText("droneRepository"), "outside.js");
    const out = await runSerialized(file, "check", [{}, {}], { host: true, cwd: dir });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(`Cannot find module '${PROVIDER_PACKAGE}'`);
  });

  test("a kind the installed package does not know is named, with the fix, without a stack", async () => {
    const file = writeText(providerText("nope" as ProviderKind), "nope.js");
    const out = await runSerialized(file, "check", [{}, {}], { host: true });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(
      '@mlplatform/dynamic-providers: no provider "nope" (known: droneRepository, droneSecret, droneSecretSet, gitCommit); the installed package is older than the state that names it: run `npm ci` in the project, then run the command again.',
    );
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("state written before: the former 2 KB stub", () => {
  const repository = () => ({
    server: drone.url,
    token: TOKEN,
    owner: "acme-ml",
    name: "former-stub",
    configPath: ".drone.yml",
    protected: false,
    trusted: false,
    visibility: "private",
    ignoreForks: true,
    ignorePullRequests: false,
    autoCancelPullRequests: true,
    autoCancelPushes: true,
    timeoutMinutes: 60,
  });
  const outputs = () => ({ ...repository(), slug: "acme-ml/former-stub", active: true });

  test("still loads the package for refresh and delete (they run the state's own text)", async () => {
    drone.addRepository("acme-ml/former-stub", { active: true });
    const file = writeText(FORMER_STUB, "former-stub.js");
    expect(requiredModules(file)).toEqual([PROVIDER_PACKAGE]);
    const { results, stderr } = await runHost(file, [
      ["read", ["acme-ml/former-stub", outputs()]],
      ["delete", ["acme-ml/former-stub", outputs()]],
    ]);
    expect(stderr).toBe("");
    // Refreshed: Drone's own settings of the repository (the fake's defaults), the rest kept.
    expect(results).toEqual([
      {
        ok: {
          id: "acme-ml/former-stub",
          props: {
            ...outputs(),
            ignoreForks: false,
            autoCancelPullRequests: false,
            autoCancelPushes: false,
          },
        },
      },
      { ok: null },
    ]);
    expect(drone.repositories.get("acme-ml/former-stub")?.active).toBe(false);
  });

  test("the next up stores the one-line text with no update (check and diff ignore __provider); a change still updates", async () => {
    // The host stores news.__provider after check, and diff gets the old outputs, which hold the
    // former stub (@pulumi/pulumi cmd/dynamic-provider/index.js check, diff).
    const impl = provider("droneRepository") as pulumi.dynamic.ResourceProvider;
    const olds = { ...outputs(), [PROVIDER_KEY]: FORMER_STUB };
    const news = { ...repository(), [PROVIDER_KEY]: providerText("droneRepository") };
    const checked = await impl.check!({ ...repository(), [PROVIDER_KEY]: FORMER_STUB }, news);
    expect(checked.failures).toEqual([]);
    expect(checked.inputs[PROVIDER_KEY]).toBe(providerText("droneRepository"));
    const unchanged = { changes: false, replaces: [], deleteBeforeReplace: false };
    expect(await impl.diff!("acme-ml/former-stub", olds, checked.inputs)).toEqual(unchanged);
    // A real change is still one, and the update works from outputs that hold the stub.
    const longer = { ...checked.inputs, timeoutMinutes: 90 };
    expect(await impl.diff!("acme-ml/former-stub", olds, longer)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    drone.addRepository("acme-ml/former-stub", { active: true });
    const updated = await droneRepositoryProvider(CHILD_LIMITS).update!(
      "acme-ml/former-stub",
      olds as never,
      longer as never,
    );
    expect(updated.outs).toMatchObject({ slug: "acme-ml/former-stub", timeoutMinutes: 90 });
    expect(drone.repositories.get("acme-ml/former-stub")).toMatchObject({
      active: true,
      timeout: 90,
    });
    // The commit and the secret set, from outputs as their providers write them.
    const commit = provider("gitCommit") as pulumi.dynamic.ResourceProvider;
    const commitInputs = {
      apiUrl: "https://api.github.com",
      token: TOKEN,
      owner: "acme-ml",
      repository: "former-stub",
      branch: "main",
      files: [{ path: "README.md", content: "# former-stub\n" }],
      message: "Scaffold",
      authorName: "ML Platform",
      authorEmail: "ml-platform@acme.example",
    };
    const commitOlds = {
      ...commitState(commitInputs, "a".repeat(40), "b".repeat(40)),
      [PROVIDER_KEY]: FORMER_STUB,
    };
    const commitNews = { ...commitInputs, [PROVIDER_KEY]: providerText("gitCommit") };
    expect(await commit.diff!("id", commitOlds, commitNews)).toEqual(unchanged);
    drone.addRepository("acme-ml/former-secrets", { active: true });
    const secretInputs = {
      server: drone.url,
      token: TOKEN,
      repository: "acme-ml/former-secrets",
      exposure: { a_secret: { pullRequest: false, pullRequestPush: false } },
      values: { a_secret: VALUE },
    };
    const made = await droneSecretSetProvider(CHILD_LIMITS).create(
      secretInputs as unknown as DroneSecretSetInputs,
    );
    const secrets = provider("droneSecretSet") as pulumi.dynamic.ResourceProvider;
    expect(
      await secrets.diff!(
        made.id,
        { ...made.outs, [PROVIDER_KEY]: FORMER_STUB },
        { ...secretInputs, [PROVIDER_KEY]: providerText("droneSecretSet") },
      ),
    ).toEqual(unchanged);
  });
});

describe("the resources' identity: what pulumi.dynamic.Resource registers", () => {
  test("same type token, name, inputs and options; __provider the one-line text", async () => {
    // The SDK's class is abstract: a resource class of a dynamic provider extends it, as ours did.
    class SdkDynamicResource extends pulumi.dynamic.Resource {}
    const tiny = { create: async () => ({ id: "x" }) };
    const kinds: [ProviderKind, string, string][] = [
      ["droneRepository", "drone", "Repository"],
      ["droneSecret", "drone", "Secret"],
      ["droneSecretSet", "drone", "RepositorySecrets"],
      ["gitCommit", "github", "Commit"],
    ];
    const opts = { deleteBeforeReplace: true, additionalSecretOutputs: ["token"] };
    const made = kinds.flatMap(([kind, module, type]) => [
      new PackagedDynamicResource(
        kind,
        `packaged-${kind}`,
        { a: "1", token: pulumi.secret("t") },
        opts,
      ),
      new SdkDynamicResource(
        tiny,
        `dynamic-${kind}`,
        { a: "1", token: pulumi.secret("t") },
        opts,
        module,
        type,
      ),
    ]);
    await Promise.all(made.map((r) => settled(r.urn)));
    const byName = new Map(recorder.registered.map((r) => [r.name, r]));
    for (const [kind, module, type] of kinds) {
      const packaged = byName.get(`packaged-${kind}`)!;
      const dynamic = byName.get(`dynamic-${kind}`)!;
      expect(packaged.type).toBe(`pulumi-nodejs:dynamic/${module}:${type}`);
      expect(packaged.type).toBe(dynamic.type);
      expect(PROVIDER_TYPES[kind]).toBe(dynamic.type);
      expect(Object.keys(packaged.inputs)).toEqual(Object.keys(dynamic.inputs));
      expect({ ...packaged.inputs, [PROVIDER_KEY]: null }).toEqual({
        ...dynamic.inputs,
        [PROVIDER_KEY]: null,
      });
      expect(packaged.options).toEqual(dynamic.options);
      expect(unwrap(packaged.inputs[PROVIDER_KEY])).toBe(providerText(kind));
      expect(String(unwrap(dynamic.inputs[PROVIDER_KEY]))).toContain("exports.handler");
    }
    expect(
      () => new PackagedDynamicResource("gitCommit", "refused", { [PROVIDER_KEY]: "x" }),
    ).toThrow("A dynamic resource must not define the __provider key");
  });

  test("the platform's resources register their kind's text under the former type tokens", async () => {
    const made = [
      new DroneRepository("svc-ci", {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        owner: "acme-ml",
        name: "churn-model",
      }),
      new DroneRepositorySecrets("svc-ci-secrets", {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        repository: "acme-ml/churn-model",
        secrets: { a_secret: { value: VALUE } },
      }),
      new DroneSecret("svc-ci-secret", {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        repository: "acme-ml/churn-model",
        name: "b_secret",
        value: VALUE,
      }),
      new GitCommit("svc-content", {
        apiUrl: "https://api.github.com",
        token: TOKEN,
        owner: "acme-ml",
        repository: "churn-model",
        branch: "main",
        files: [{ path: "README.md", content: "# churn-model\n" }],
        message: "Scaffold churn-model",
        authorName: "ML Platform",
        authorEmail: "ml-platform@acme.example",
      }),
    ];
    await Promise.all(made.map((r) => settled(r.urn)));
    const seen = recorder.registered.map((r) => [r.type, r.name, unwrap(r.inputs[PROVIDER_KEY])]);
    expect(seen.sort()).toEqual(
      [
        ["pulumi-nodejs:dynamic/drone:Repository", "svc-ci", providerText("droneRepository")],
        [
          "pulumi-nodejs:dynamic/drone:RepositorySecrets",
          "svc-ci-secrets",
          providerText("droneSecretSet"),
        ],
        ["pulumi-nodejs:dynamic/drone:Secret", "svc-ci-secret", providerText("droneSecret")],
        ["pulumi-nodejs:dynamic/github:Commit", "svc-content", providerText("gitCommit")],
      ].sort(),
    );
  });
});
