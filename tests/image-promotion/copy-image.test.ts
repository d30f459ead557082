/**
 * copy-image.sh against real OCI registries: two CNCF distribution processes on loopback (the
 * "source" and "target" environments' registries), tiny images pushed with skopeo, and the script
 * run as `pulumi up` runs it. Only the login differs from production: REGISTRY_AUTH=none and
 * TLS_VERIFY=false (these registries have no authentication and speak plain HTTP), except in the
 * ROLE_ARN test, which logs in for real with a stub `aws` that hands out fake credentials.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  LocalRegistry,
  digestOf,
  freePort,
  pushOciImage,
  startRegistry,
  writeOciImage,
} from "./registry";

const SCRIPT = path.join(__dirname, "..", "..", "components", "image-promotion", "copy-image.sh");

const sha = (c: string) => c.repeat(40);
const SHA1 = sha("1");
const SHA2 = sha("2");
const SHA3 = sha("3");
const SHA4 = sha("4");
const SHA5 = sha("5");
const MISSING_DIGEST = `sha256:${"0".repeat(64)}`;

let tmp: string;
let scratch: string;
let registries: LocalRegistry[] = [];
let SOURCE: string;
let TARGET: string;
let d1: string;
let d2: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script with a clean environment: nothing of the caller's (no AWS_* variables). */
function run(env: Record<string, string | undefined>, pathPrefix?: string): Run {
  const base: Record<string, string> = {
    PATH: pathPrefix ? `${pathPrefix}:${process.env.PATH}` : process.env.PATH!,
    HOME: path.join(tmp, "home"),
    TMPDIR: scratch,
    REGISTRY_AUTH: "none",
    TLS_VERIFY: "false",
    RETRY_DELAY: "0",
    SKOPEO_RETRY_TIMES: "0",
  };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  const r = spawnSync("bash", [SCRIPT], { env: base, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pin(source: string, target: string, gitSha: string, digest: string) {
  return { SOURCE: source, TARGET: target, GIT_SHA: gitSha, DIGEST: digest };
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "image-promotion-"));
  scratch = path.join(tmp, "scratch");
  fs.mkdirSync(scratch);
  fs.mkdirSync(path.join(tmp, "home"));
  registries = await Promise.all([
    startRegistry(path.join(tmp, "registry-dev")),
    startRegistry(path.join(tmp, "registry-prod")),
  ]);
  SOURCE = `${registries[0].host}/mlp/churn-dev`;
  TARGET = `${registries[1].host}/mlp/churn-prod`;
  const one = path.join(tmp, "image-one");
  const two = path.join(tmp, "image-two");
  d1 = writeOciImage(one, "model one\n");
  d2 = writeOciImage(two, "model two\n");
  // The dev pipeline built commit 1 (image one) and commit 2 (image two).
  pushOciImage(one, `${SOURCE}:${SHA1}`);
  pushOciImage(two, `${SOURCE}:${SHA2}`);
  // prod already has commit 3 as image two (an earlier promotion).
  pushOciImage(two, `${TARGET}:${SHA3}`);
}, 30_000);

afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("copy-image.sh", () => {
  it("is shellcheck-clean", () => {
    const r = spawnSync("shellcheck", ["--severity=style", SCRIPT], { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("copies SOURCE@DIGEST to TARGET:GIT_SHA with exactly the pinned digest", () => {
    expect(d1).not.toBe(d2);
    expect(digestOf(`${TARGET}:${SHA1}`)).toBe("");
    const r = run(pin(SOURCE, TARGET, SHA1, d1));
    expect(r.stderr).toContain(
      `copy-image: copying docker://${SOURCE}@${d1} -> docker://${TARGET}:${SHA1} (attempt 1 of 3)`,
    );
    expect(r.stdout).toBe(`copied ${SOURCE}@${d1} to ${TARGET}:${SHA1}\n`);
    expect(r.status).toBe(0);
    expect(digestOf(`${TARGET}:${SHA1}`)).toBe(d1);
  });

  it("finds the image already present on a second run, and copies nothing", () => {
    const r = run(pin(SOURCE, TARGET, SHA1, d1));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`already present: ${TARGET}:${SHA1}@${d1}\n`);
    expect(r.stderr).not.toContain("copying");
    expect(digestOf(`${TARGET}:${SHA1}`)).toBe(d1);
  });

  it("fails when the tag exists with another digest (tags are immutable)", () => {
    const r = run(pin(SOURCE, TARGET, SHA3, d1));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `copy-image: error: ${TARGET}:${SHA3}: tag exists with digest ${d2}, pin says ${d1}: tags are immutable\n`,
    );
    expect(r.stdout).toBe("");
    expect(digestOf(`${TARGET}:${SHA3}`)).toBe(d2);
  });

  it("fails clearly when the pinned digest is not in the source", () => {
    const r = run(pin(SOURCE, TARGET, SHA4, MISSING_DIGEST));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `copy-image: error: no image ${SOURCE}@${MISSING_DIGEST}: the pinned digest is not in the source repository (is the pin right, and has the pipeline built commit ${SHA4}?)\n`,
    );
    expect(digestOf(`${TARGET}:${SHA4}`)).toBe("");
  });

  it("refuses a pin that pairs a commit with another commit's image", () => {
    const r = run(pin(SOURCE, TARGET, SHA2, d1));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `copy-image: error: ${SOURCE}:${SHA2} has digest ${d2}, pin says ${d1}: the pin pairs commit ${SHA2} with another image\n`,
    );
    expect(digestOf(`${TARGET}:${SHA2}`)).toBe("");
  });

  it("fails clearly when a registry cannot be reached", async () => {
    const closed = `127.0.0.1:${await freePort()}/mlp/churn-prod`;
    const r = run(pin(SOURCE, closed, SHA1, d1));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^copy-image: error: cannot read ${closed}:${SHA1}: .*pinging container registry .*connection refused\\n$`,
      ),
    );
  });

  describe("retries a failed copy (a skopeo whose first copy fails, then the real one)", () => {
    let bin: string;
    beforeAll(() => {
      bin = path.join(tmp, "flaky-bin");
      fs.mkdirSync(bin);
      const real = spawnSync("bash", ["-c", "command -v skopeo"], {
        encoding: "utf8",
      }).stdout.trim();
      fs.writeFileSync(
        path.join(bin, "skopeo"),
        [
          "#!/usr/bin/env bash",
          `marker=${JSON.stringify(path.join(tmp, "flaky-failed-once"))}`,
          'if [ "$1" = copy ] && [ ! -e "$marker" ]; then',
          '  touch "$marker"',
          '  echo "simulated: connection reset by peer" >&2',
          "  exit 1",
          "fi",
          `exec ${real} "$@"`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
    });

    it("and succeeds on the next attempt", () => {
      fs.rmSync(path.join(tmp, "flaky-failed-once"), { force: true });
      const target = `${registries[1].host}/mlp/churn-retry`;
      const r = run(pin(SOURCE, target, SHA1, d1), bin);
      expect(r.stderr).toContain("(attempt 1 of 3)\nsimulated: connection reset by peer\n");
      expect(r.stderr).toContain("copy-image: copy failed; retrying in 0s\n");
      expect(r.stderr).toContain("(attempt 2 of 3)");
      expect(r.stdout).toBe(`copied ${SOURCE}@${d1} to ${target}:${SHA1}\n`);
      expect(r.status).toBe(0);
      expect(digestOf(`${target}:${SHA1}`)).toBe(d1);
    });

    it("and gives up after COPY_ATTEMPTS", () => {
      fs.rmSync(path.join(tmp, "flaky-failed-once"), { force: true });
      const target = `${registries[1].host}/mlp/churn-giveup`;
      const r = run({ ...pin(SOURCE, target, SHA1, d1), COPY_ATTEMPTS: "1" }, bin);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /copy-image: error: copying \S+ to \S+ failed after 1 attempts \(see above\)\n$/,
      );
      expect(digestOf(`${target}:${SHA1}`)).toBe("");
    });
  });

  describe("when SOURCE == TARGET (the environment that builds images)", () => {
    it("only verifies that the tag has the pinned digest", () => {
      const r = run(pin(SOURCE, SOURCE, SHA1, d1));
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(
        `verified ${SOURCE}:${SHA1}@${d1} (the environment that builds images: nothing to copy)\n`,
      );
      expect(r.stderr).not.toContain("copying");
    });

    it("fails clearly when the pipeline has not built the commit, creating nothing", () => {
      const r = run(pin(SOURCE, SOURCE, SHA5, d1));
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `copy-image: error: no image ${SOURCE}:${SHA5}: has the pipeline built commit ${SHA5}?\n`,
      );
      expect(digestOf(`${SOURCE}:${SHA5}`)).toBe("");
    });

    it("fails when the built tag has another digest than the pin", () => {
      const r = run(pin(SOURCE, SOURCE, SHA1, d2));
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `copy-image: error: ${SOURCE}:${SHA1}: tag exists with digest ${d1}, pin says ${d2}: tags are immutable\n`,
      );
    });
  });

  describe("refuses invalid inputs before touching a registry", () => {
    const host = "127.0.0.1:9";
    const ok = pin(`${host}/mlp/churn-dev`, `${host}/mlp/churn-prod`, SHA1, MISSING_DIGEST);
    const form =
      "<registry host>/<repository> without tag or digest, e.g. 111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlp/churn-dev";
    const cases: [string, Record<string, string | undefined>, string][] = [
      [
        "a short sha",
        { GIT_SHA: "1234567" },
        'GIT_SHA "1234567" is not a full git commit sha: expected 40 lowercase hex characters',
      ],
      [
        "an uppercase sha",
        { GIT_SHA: "A".repeat(40) },
        `GIT_SHA "${"A".repeat(40)}" is not a full git commit sha: expected 40 lowercase hex characters`,
      ],
      [
        "no sha",
        { GIT_SHA: undefined },
        "GIT_SHA is required: the full git commit sha (40 lowercase hex characters)",
      ],
      [
        "a short digest",
        { DIGEST: "sha256:abc" },
        'DIGEST "sha256:abc" is not an image digest: expected sha256: followed by 64 lowercase hex characters',
      ],
      [
        "a digest without algorithm",
        { DIGEST: "f".repeat(64) },
        `DIGEST "${"f".repeat(64)}" is not an image digest: expected sha256: followed by 64 lowercase hex characters`,
      ],
      [
        "a source with a tag",
        { SOURCE: `${host}/mlp/churn-dev:latest` },
        `SOURCE "${host}/mlp/churn-dev:latest" is not a repository reference: expected ${form}`,
      ],
      [
        "a source with a transport",
        { SOURCE: `docker://${host}/mlp/churn-dev` },
        `SOURCE "docker://${host}/mlp/churn-dev" is not a repository reference: expected ${form}`,
      ],
      [
        "a target with a digest",
        { TARGET: `${host}/mlp/churn-prod@${MISSING_DIGEST}` },
        `TARGET "${host}/mlp/churn-prod@${MISSING_DIGEST}" is not a repository reference: expected ${form}`,
      ],
      [
        "a target without registry host",
        { TARGET: "mlp/churn-prod" },
        `TARGET "mlp/churn-prod" is not a repository reference: expected ${form}`,
      ],
      ["no target", { TARGET: undefined }, `TARGET is required: ${form}`],
      [
        "a role that is not an ARN",
        { ROLE_ARN: "mlp-promote" },
        'ROLE_ARN "mlp-promote" is not an IAM role ARN: expected arn:aws:iam::<12-digit account>:role/<name>',
      ],
      [
        "a session policy without role",
        { SESSION_POLICY: "{}" },
        "SESSION_POLICY is set without ROLE_ARN: a session policy narrows an assumed role",
      ],
      [
        "a region that is not one",
        { REGION: "Europe" },
        'REGION "Europe" is not an AWS region: expected a name such as eu-west-1',
      ],
      [
        "an unknown REGISTRY_AUTH",
        { REGISTRY_AUTH: "basic" },
        'REGISTRY_AUTH "basic" is not supported: expected ecr (the default) or none',
      ],
      [
        "an unknown TLS_VERIFY",
        { TLS_VERIFY: "no" },
        'TLS_VERIFY "no" is not supported: expected true (the default) or false',
      ],
    ];
    it.each(cases)("%s", (_label, change, message) => {
      const r = run({ ...ok, ...change });
      expect(r.stderr).toBe(`copy-image: error: ${message}\n`);
      expect(r.stdout).toBe("");
      expect(r.status).toBe(1);
    });
  });

  describe("with ROLE_ARN (stub aws: fake credentials, fake ECR password)", () => {
    const ROLE = "arn:aws:iam::123456789012:role/mlp-churn-prod-promote";
    const POLICY = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["ecr:BatchGetImage"], Resource: "*" }],
    });
    const SECRETS = {
      accessKeyId: "ASIAFAKEPROMOTION0001",
      secretAccessKey: "fake-secret-access-key-never-printed",
      sessionToken: "fake-session-token-never-printed",
      password: "fake-ecr-password-never-printed",
    };
    let bin: string;
    let calls: string;

    beforeAll(() => {
      bin = path.join(tmp, "stub-bin");
      calls = path.join(tmp, "aws-calls.jsonl");
      fs.mkdirSync(bin);
      // Records each call (arguments, and the credentials it was given) and answers like the AWS
      // CLI: AssumeRole's JSON response, or get-login-password's token.
      fs.writeFileSync(
        path.join(bin, "aws"),
        `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, JSON.stringify({
  args,
  accessKeyId: process.env.AWS_ACCESS_KEY_ID || null,
  sessionToken: process.env.AWS_SESSION_TOKEN || null,
}) + "\\n");
if (process.env.AWS_STUB_FAIL) {
  process.stderr.write("An error occurred (AccessDenied) when calling the AssumeRole operation\\n");
  process.exit(254);
}
if (args[0] === "sts" && args[1] === "assume-role") {
  process.stdout.write(JSON.stringify({
    Credentials: {
      AccessKeyId: ${JSON.stringify(SECRETS.accessKeyId)},
      SecretAccessKey: ${JSON.stringify(SECRETS.secretAccessKey)},
      SessionToken: ${JSON.stringify(SECRETS.sessionToken)},
      Expiration: "2030-01-01T00:00:00Z",
    },
    AssumedRoleUser: { AssumedRoleId: "AROAFAKE:session", Arn: "arn:aws:sts::123456789012:assumed-role/x/session" },
  }, null, 4) + "\\n");
} else if (args[0] === "ecr" && args[1] === "get-login-password") {
  process.stdout.write(${JSON.stringify(SECRETS.password)} + "\\n");
} else {
  process.exit(2);
}
`,
        { mode: 0o755 },
      );
    });

    beforeEach(() => fs.rmSync(calls, { force: true }));

    function recorded(): { args: string[]; accessKeyId: string | null }[] {
      return fs
        .readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    }

    it("assumes the role with the session policy, logs in to each registry, and prints no secret", () => {
      const target = `${registries[1].host}/mlp/churn-staging`;
      const r = run(
        {
          ...pin(SOURCE, target, SHA1, d1),
          REGISTRY_AUTH: undefined,
          ROLE_ARN: ROLE,
          SESSION_POLICY: POLICY,
          REGION: "eu-west-1",
          AWS_PROFILE: "ci",
        },
        bin,
      );
      expect(r.stdout).toBe(`copied ${SOURCE}@${d1} to ${target}:${SHA1}\n`);
      expect(r.status).toBe(0);
      expect(digestOf(`${target}:${SHA1}`)).toBe(d1);

      const login = ["ecr", "get-login-password", "--region", "eu-west-1"];
      expect(recorded()).toEqual([
        {
          args: [
            "sts",
            "assume-role",
            "--role-arn",
            ROLE,
            "--role-session-name",
            `mlp-image-copy-${SHA1.slice(0, 12)}`,
            "--output",
            "json",
            "--policy",
            POLICY,
            "--region",
            "eu-west-1",
          ],
          accessKeyId: null,
          sessionToken: null,
        },
        // One login per registry host, each with the assumed role's credentials.
        { args: login, accessKeyId: SECRETS.accessKeyId, sessionToken: SECRETS.sessionToken },
        { args: login, accessKeyId: SECRETS.accessKeyId, sessionToken: SECRETS.sessionToken },
      ]);
      expect(r.stderr).toContain(`logging in to ${registries[0].host} (region eu-west-1)`);
      expect(r.stderr).toContain(`logging in to ${registries[1].host} (region eu-west-1)`);

      const output = r.stdout + r.stderr;
      const basicAuth = Buffer.from(`AWS:${SECRETS.password}`).toString("base64");
      for (const secret of [...Object.values(SECRETS).slice(1), basicAuth]) {
        expect(output).not.toContain(secret);
      }
      // The authfile (registry login state) went with the script's temporary directory.
      expect(fs.readdirSync(scratch)).toEqual([]);
    });

    it("fails clearly when the role cannot be assumed", () => {
      const r = run({ ...pin(SOURCE, TARGET, SHA1, d1), ROLE_ARN: ROLE, AWS_STUB_FAIL: "1" }, bin);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `copy-image: error: aws sts assume-role failed for ${ROLE} (see above)\n`,
      );
      expect(r.stdout).toBe("");
      expect(fs.readdirSync(scratch)).toEqual([]);
    });
  });
});
