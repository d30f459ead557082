/**
 * `npm run rollback` as a real process: help, usage errors and exit codes, and one end-to-end
 * run against the fake Databricks with a fake `aws` on PATH (the real registry module).
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../cli/rollback";
import { compiledCommand } from "../cli/compiled";
import { FakeDatabricks } from "./fake-databricks";
import { CLIENT_ID, digest, MODEL, ROOT, SECRET, seed, sha, workspace } from "./helpers";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled command (dist/cli/rollback.js, what `npm run rollback` runs) in a child process
 * (asynchronously: the fake server keeps serving).
 */
function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [compiledCommand("rollback"), ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
    child.stdin?.end(); // stdin is a pipe, not a terminal
  });
}

test("--help prints every option with its default and an example, exit 0", async () => {
  const r = await spawnCli(["--help"]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe("");
  for (const option of [
    "<service>",
    "--stack STACK",
    "--to-version N",
    "--dry-run",
    "--yes",
    "--write-pin",
    "--services DIR",
    "--stacks DIR",
    "-h, --help",
  ]) {
    expect(r.stdout).toContain(option);
  }
  expect(r.stdout).toContain("default");
  expect(r.stdout).toContain("the champion's previous_champion tag");
  expect(r.stdout).toContain("off: asks on a terminal");
  expect(r.stdout).toContain("npm run rollback -- product-recommender --stack prod --dry-run");
  expect(r.stdout).toContain(
    "exit codes: 0 done (or nothing to do), 1 refused (the reason is printed), 2 usage error",
  );
});

test("a usage error exits 2 with the usage line and no stack trace", async () => {
  const r = await spawnCli(["product-recommender", "--stack", "prod", "--bogus"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: Unknown option '--bogus'/);
  expect(r.stderr).toContain("usage: npm run rollback --");
  expect(r.stderr).not.toMatch(/\n\s+at /);
});

test.each([
  [[], "missing <service>"],
  [["product-recommender"], "--stack is required"],
  [["a", "b", "--stack", "prod"], 'unexpected argument "b"'],
  [
    ["product-recommender", "--stack", "prod", "--to-version", "0"],
    '--to-version "0" is not a version number',
  ],
  [
    ["product-recommender", "--stack", "prod", "--to-version", "v3"],
    '--to-version "v3" is not a version number',
  ],
  [["product-recommender", "--stack"], "argument missing"],
  [["product-recommender", "--stack", "prod", "--yes=1"], "does not take an argument"],
])("usage error %j: exit 2", async (args, message) => {
  let err = "";
  const code = await main(args as string[], {
    err: (t) => void (err += t),
    out: () => undefined,
    env: {},
  });
  expect(code).toBe(2);
  expect(err).toContain(message);
});

describe("end to end, with a fake aws on PATH", () => {
  let fake: FakeDatabricks;
  let ws: ReturnType<typeof workspace>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fake = await FakeDatabricks.start(CLIENT_ID, SECRET);
    seed(fake);
    ws = workspace(fake.url);
    const bin = path.join(ws.dir, "bin");
    fs.mkdirSync(bin);
    // The prod registry holds version 3's image (and nothing else).
    fs.writeFileSync(
      path.join(bin, "aws"),
      `#!/bin/sh
case "$*" in
  *"imageDigest=${digest("3")}"*"--region eu-west-1"*)
    echo '{"imageDetails":[{"imageDigest":"${digest("3")}","imageTags":["${sha("3")}"]}]}' ;;
  *) echo "An error occurred (ImageNotFoundException) when calling the DescribeImages operation" >&2; exit 254 ;;
esac
`,
      { mode: 0o755 },
    );
    env = {
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      DATABRICKS_CLIENT_SECRET: SECRET,
      MLPLATFORM_ALLOW_HTTP_HOSTS: "127.0.0.1",
    };
  });
  afterAll(async () => {
    await fake.stop();
    ws.cleanup();
  });

  const args = () => [
    "product-recommender",
    "--stack",
    "prod",
    "--services",
    ws.servicesDir,
    "--stacks",
    ws.stacksDir,
  ];

  test("without a terminal and without --yes: refused, nothing written", async () => {
    const r = await spawnCli(args(), env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "refused: stdin is not a terminal, so the move cannot be confirmed: pass --yes",
    );
    expect(fake.writes()).toEqual([]);
  });

  test("without the loopback allowance the http host is refused by the stack validation", async () => {
    const r = await spawnCli([...args(), "--yes"], { ...env, MLPLATFORM_ALLOW_HTTP_HOSTS: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("mlplatform:databricksHost: invalid value");
    expect(fake.writes()).toEqual([]);
  });

  test("with --yes: champion moves back, exit 0", async () => {
    const r = await spawnCli([...args(), "--yes"], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`champion of ${MODEL} moved from version 5 to version 3`);
    expect(fake.model(MODEL).aliases.get("champion")).toBe(3);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});
