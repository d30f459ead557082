/**
 * The dynamic providers as an installed package: the state keeps a small stub per provider
 * (components/dynamic-providers.ts) and the engine's provider host loads the implementation from
 * @mlplatform/dynamic-providers. Here: the stub's text (size, requires), the package's build, the
 * stub run the way the host runs it (require-from-string from the project directory, plain node)
 * against the fake Drone server, and the resources' identity, unchanged from the providers
 * serialized by value.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import {
  PROJECT_DIR,
  requiredModules,
  runSerialized,
  writeSerialized,
} from "../helpers/serialized-provider";
import { recordRegistrations, settled, unwrap } from "../helpers/registrations";
import { tsNodeArgs } from "../helpers/ts-child";

const recorder = recordRegistrations();

// Imported after setMocks, as the program would be.
import {
  DYNAMIC_PROVIDERS,
  packagedProvider,
  PROVIDER_METHODS,
  PROVIDER_PACKAGE,
  PROVIDER_TYPES,
  ProviderKind,
} from "../../components/dynamic-providers";
import { DroneRepository, DroneRepositorySecrets, DroneSecret } from "../../components/drone";
import { GitCommit } from "../../components/github";
import { droneRepositoryProvider } from "../../components/drone/repository-provider";
import { droneSecretProvider } from "../../components/drone/secret-provider";
import { droneSecretSetProvider } from "../../components/drone/secret-set-provider";
import { gitCommitProvider } from "../../components/github/commit-provider";
import { FakeDroneServer } from "./fake-drone-server";
import { FAST, TOKEN, VALUE } from "./helpers";

/**
 * FAST, with room for a fresh node process to load fetch (undici, loaded on first use) on a busy
 * machine before its first attempt times out.
 */
const CHILD_LIMITS = { ...FAST, requestTimeoutMs: 10_000, maxElapsedMs: 30_000 };

const KINDS = Object.keys(PROVIDER_METHODS) as ProviderKind[];
/** Upper bound of one stub's serialized text, in bytes (the implementations are 40-48 KB). */
const MAX_STUB_BYTES = 2_400;

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

test("each stub serializes to at most 2.4 KB and requires only the package", async () => {
  for (const kind of KINDS) {
    const file = await writeSerialized(DYNAMIC_PROVIDERS[kind], dir, `${kind}.js`);
    const text = fs.readFileSync(file, "utf8");
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_STUB_BYTES);
    expect(Buffer.byteLength(text)).toBeGreaterThan(500);
    expect(requiredModules(file)).toEqual([PROVIDER_PACKAGE]);
    // One require per method, none computed.
    expect(text.match(/require\(/g)).toHaveLength(PROVIDER_METHODS[kind].length);
    // None of the implementation travels: not the client, not the API paths.
    expect(text).not.toMatch(/callDrone|callGitHub|exchangeJson|\/api\/repos/);
  }
});

test("the implementations serialized by value, as the state held them before, are 15 times larger", async () => {
  const inline = [
    droneRepositoryProvider(),
    droneSecretProvider(),
    droneSecretSetProvider(),
    gitCommitProvider(),
  ];
  for (const provider of inline) {
    const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    expect(Buffer.byteLength(text)).toBeGreaterThan(15 * MAX_STUB_BYTES);
    expect(text).not.toContain(PROVIDER_PACKAGE);
  }
});

test("a stub has exactly its implementation's methods", () => {
  const implementations: Record<ProviderKind, object> = {
    droneRepository: droneRepositoryProvider(),
    droneSecret: droneSecretProvider(),
    droneSecretSet: droneSecretSetProvider(),
    gitCommit: gitCommitProvider(),
  };
  for (const kind of KINDS) {
    expect(Object.keys(DYNAMIC_PROVIDERS[kind]).sort()).toEqual(
      Object.keys(implementations[kind]).sort(),
    );
  }
  expect(Object.keys(DYNAMIC_PROVIDERS.gitCommit)).not.toContain("read");
});

test("the package's lib/ is the build of the current sources, installed as a link", async () => {
  // In a child: prettier loads its plugins with import(), which jest's sandbox refuses.
  // Through the cached transpile hook: ts-node's own start-up costs seconds of CPU.
  const check = spawnSync(
    process.execPath,
    tsNodeArgs("packages/dynamic-providers/build.ts", ["--check"]),
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  expect(check.stderr).toBe("");
  expect(check.status).toBe(0);
  // Resolved from the project as the provider host resolves it: the project's own folder.
  const resolved = require.resolve(PROVIDER_PACKAGE, { paths: [PROJECT_DIR] });
  expect(fs.realpathSync(resolved)).toBe(
    path.join(PROJECT_DIR, "packages", "dynamic-providers", "lib", "provider-package.js"),
  );
});

describe("the stub run by plain node from the project directory, as the provider host runs it", () => {
  // Each kind's stub is serialized once (seconds of CPU each time) and run as often as needed.
  const stubs = new Map<ProviderKind, Promise<string>>();
  const stubFile = (kind: ProviderKind): Promise<string> => {
    let file = stubs.get(kind);
    if (!file) {
      file = writeSerialized(packagedProvider(kind, CHILD_LIMITS), dir, `${kind}-fast.js`);
      stubs.set(kind, file);
    }
    return file;
  };
  const run = (kind: ProviderKind, method: Parameters<typeof runSerialized>[1], args: unknown[]) =>
    stubFile(kind).then((file) => runSerialized(file, method, args, { host: true }));
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
    const checked = ok(await run("droneRepository", "check", [{}, inputs])) as {
      inputs: Record<string, unknown>;
      failures: unknown[];
    };
    expect(checked.failures).toEqual([]);
    expect(checked.inputs.timeoutMinutes).toBe(60);

    const created = ok(await run("droneRepository", "create", [inputs])) as {
      id: string;
      outs: Record<string, unknown>;
    };
    expect(created.id).toBe("acme-ml/fraud-score");
    expect(created.outs.active).toBe(true);
    expect(drone.repositories.get("acme-ml/fraud-score")).toMatchObject({
      active: true,
      timeout: 60,
    });

    const same = ok(await run("droneRepository", "diff", [created.id, created.outs, inputs]));
    expect(same).toMatchObject({ changes: false });
    const renamed = ok(
      await run("droneRepository", "diff", [
        created.id,
        created.outs,
        { ...inputs, name: "fraud-score-2" },
      ]),
    ) as { changes: boolean; replaces: string[] };
    expect(renamed.changes).toBe(true);
    expect(renamed.replaces).toEqual(["name"]);

    const read = ok(await run("droneRepository", "read", [created.id, created.outs])) as {
      id: string;
      props: Record<string, unknown>;
    };
    expect(read.id).toBe("acme-ml/fraud-score");
    expect(read.props.active).toBe(true);

    expect(ok(await run("droneRepository", "delete", [created.id, created.outs]))).toBeNull();
    expect(drone.repositories.get("acme-ml/fraud-score")?.active).toBe(false);
    const gone = ok(await run("droneRepository", "read", [created.id, created.outs]));
    expect(gone).toEqual({});
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
    const file = await writeSerialized(DYNAMIC_PROVIDERS.droneRepository, dir, "outside.js");
    const out = await runSerialized(file, "check", [{}, {}], { host: true, cwd: dir });
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain(`Cannot find module '${PROVIDER_PACKAGE}'`);
  });

  test("a kind the installed package does not know is named, with the fix", async () => {
    const out = await runSerialized(
      writeProbe(`require("${PROVIDER_PACKAGE}").provider("nope")`),
      "check",
      [],
      { host: true },
    );
    expect(JSON.parse(out.stdout).error).toBe(
      '@mlplatform/dynamic-providers: no provider "nope" (known: droneRepository, droneSecret, droneSecretSet, gitCommit); the installed package is older than the state that names it: run `npm ci` in the project, then run the command again.',
    );
  });
});

/** A provider text whose `check` evaluates `expression` (for the package's own errors). */
function writeProbe(expression: string): string {
  const file = path.join(dir, "probe.js");
  fs.writeFileSync(
    file,
    `exports.handler = () => ({ check: async () => { ${expression}; return null; } });\n`,
  );
  return file;
}

describe("the resources' identity does not change with the stub", () => {
  const declare = async (prefix: string) => {
    const made = [
      new DroneRepository(`${prefix}-ci`, {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        owner: "acme-ml",
        name: "churn-model",
      }),
      new DroneRepositorySecrets(`${prefix}-ci-secrets`, {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        repository: "acme-ml/churn-model",
        secrets: { a_secret: { value: VALUE } },
      }),
      new DroneSecret(`${prefix}-ci-secret`, {
        server: "https://drone.acme-ml.example",
        token: TOKEN,
        repository: "acme-ml/churn-model",
        name: "b_secret",
        value: VALUE,
      }),
      new GitCommit(`${prefix}-content`, {
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
    return recorder.registered
      .filter((r) => r.name.startsWith(`${prefix}-`))
      .sort((a, b) => a.name.localeCompare(b.name));
  };

  test("same type tokens, names and inputs but __provider as with the implementations by value", async () => {
    const stubs = await declare("svc");
    const saved = { ...DYNAMIC_PROVIDERS };
    Object.assign(DYNAMIC_PROVIDERS, {
      droneRepository: droneRepositoryProvider(),
      droneSecret: droneSecretProvider(),
      droneSecretSet: droneSecretSetProvider(),
      gitCommit: gitCommitProvider(),
    });
    let inline: typeof stubs;
    try {
      recorder.reset();
      inline = await declare("svc");
    } finally {
      Object.assign(DYNAMIC_PROVIDERS, saved);
    }
    const identity = (list: typeof stubs) =>
      list.map((r) => {
        const rest = { ...r.inputs };
        delete rest.__provider;
        return { type: r.type, name: r.name, inputs: rest, options: r.options };
      });
    expect(identity(stubs)).toEqual(identity(inline));
    expect(stubs.map((r) => `${r.type}::${r.name}`).sort()).toEqual(
      [
        `${PROVIDER_TYPES.droneRepository}::svc-ci`,
        `${PROVIDER_TYPES.droneSecretSet}::svc-ci-secrets`,
        `${PROVIDER_TYPES.droneSecret}::svc-ci-secret`,
        `${PROVIDER_TYPES.gitCommit}::svc-content`,
      ].sort(),
    );
    expect(PROVIDER_TYPES).toEqual({
      droneRepository: "pulumi-nodejs:dynamic/drone:Repository",
      droneSecret: "pulumi-nodejs:dynamic/drone:Secret",
      droneSecretSet: "pulumi-nodejs:dynamic/drone:RepositorySecrets",
      gitCommit: "pulumi-nodejs:dynamic/github:Commit",
    });
    // Only the provider's text differs: the stub's is small, the inline one the whole code.
    for (const [i, r] of stubs.entries()) {
      const small = String(unwrap(r.inputs.__provider));
      const large = String(unwrap(inline![i].inputs.__provider));
      expect(Buffer.byteLength(small)).toBeLessThanOrEqual(MAX_STUB_BYTES);
      expect(Buffer.byteLength(large)).toBeGreaterThan(15 * MAX_STUB_BYTES);
    }
  });
});
