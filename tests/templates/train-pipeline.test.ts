/**
 * The `train` pipeline of the rendered .drone.yml, run as Drone runs it: the shell of the
 * `image-digest` and `start-training` steps, with Drone's substitution applied (drone/envsubst:
 * `$$` is an escaped `$`, parse/scan.go scanEscaped; eval_test.go "$${var01}" -> "${var01}") and
 * wrapped the way drone-runner-docker does (engine/compiler/shell/shell.go Script: `set -e`, then
 * `echo + <command quoted with %q, $ escaped>` before each command; engine/compiler/script.go pipes
 * the script into the shell's standard input). They run with bash against:
 * - a stub `aws` (records its arguments and credentials, answers assume-role and describe-images),
 * - a local fake Databricks workspace (OAuth token, jobs/get, runs/submit, runs/get; 400 to
 *   anything else; every request recorded),
 * - the host's curl (behind a wrapper that records its command lines) and jq, with `apk` a no-op.
 * The pipeline must train the commit in a one-time run and never edit the declared job.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import * as YAML from "yaml";
import { PIPELINE_SECRETS } from "../../program/pipeline-secrets";
import { render, resolved, settingsOf, tempDir } from "./fixtures";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const BUILD = "42";
const DIGEST = `sha256:${"5e".repeat(32)}`;
const ACCOUNT = "000000000000";
const REPOSITORY_NAME = "mlp/churn-model-dev";
const REPOSITORY_URL = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${REPOSITORY_NAME}`;
const IMAGE = `${REPOSITORY_URL}:${SHA}`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/mlp-churn-model-dev-ci`;
const CLIENT_ID = "6f1c1f5e-0000-4000-8000-00000000c11e";
const CLIENT_SECRET = "dose-client-secret-value";
const ACCESS_TOKEN = "fake-oauth-access-token";
const JOB_ID = "123456789";
const JOB_NAME = "mlp-churn-model-dev-training";
const ENTRY_POINT = "file:/app/src/churn_model/train.py";
/** components/training-jobs.ts PLACEHOLDER_PYTHON_FILE: what a job runs before any image is pinned. */
const PLACEHOLDER_PYTHON_FILE = "file:/opt/mlplatform/no_model_yet.py";
const ASSUMED = {
  AccessKeyId: "ASIAFAKEASSUMEDKEY00",
  SecretAccessKey: "fake/assumed+secret",
  SessionToken: "FwoGZXIvYXdzEFAKESESSIONTOKEN==",
};

/** Top-level fields of a runs/submit request (databricks-sdk-go v0.175.0 service/jobs/model.go, SubmitRun). */
const SUBMIT_RUN_FIELDS = new Set([
  "access_control_list",
  "budget_policy_id",
  "email_notifications",
  "environments",
  "git_source",
  "health",
  "idempotency_token",
  "notification_settings",
  "performance_target",
  "queue",
  "run_as",
  "run_name",
  "tasks",
  "timeout_seconds",
  "usage_policy_id",
  "webhook_notifications",
]);
/** Fields of a one-time run's task (same file, SubmitTask: a job Task without job_cluster_key). */
const SUBMIT_TASK_FIELDS = new Set([
  "ai_runtime_task",
  "alert_task",
  "clean_rooms_notebook_task",
  "compute",
  "condition_task",
  "dashboard_task",
  "dbt_cloud_task",
  "dbt_platform_task",
  "dbt_task",
  "depends_on",
  "description",
  "disable_auto_optimization",
  "disabled",
  "email_notifications",
  "environment_key",
  "existing_cluster_id",
  "for_each_task",
  "gen_ai_compute_task",
  "health",
  "libraries",
  "max_retries",
  "min_retry_interval_millis",
  "new_cluster",
  "notebook_task",
  "notification_settings",
  "pipeline_task",
  "power_bi_task",
  "python_operator_task",
  "python_wheel_task",
  "retry_on_timeout",
  "run_if",
  "run_job_task",
  "spark_jar_task",
  "spark_python_task",
  "spark_submit_task",
  "sql_task",
  "task_key",
  "timeout_seconds",
  "webhook_notifications",
]);

type Json = Record<string, unknown>;

/** The training job as jobs/get returns what components/training-jobs.ts declares (snake_case). */
function declaredJob(overrides: { pythonFile?: string; imageUrl?: string; docker?: boolean } = {}): Json {
  const tags = { service: "churn-model", team: "growth", environment: "dev", "managed-by": "mlplatform" };
  const cluster: Json = {
    spark_version: "15.4.x-scala2.12",
    node_type_id: "m5d.large",
    num_workers: 1,
    aws_attributes: {
      instance_profile_arn: `arn:aws:iam::${ACCOUNT}:instance-profile/mlp-churn-model-dev-jobs`,
      availability: "SPOT_WITH_FALLBACK",
    },
    spark_env_vars: {
      MLFLOW_EXPERIMENT_ID: "4242",
      DATABRICKS_CLIENT_ID: CLIENT_ID,
      DATABRICKS_CLIENT_SECRET: "{{secrets/mlp-churn-model-dev/databricks-client-secret}}",
    },
    custom_tags: tags,
  };
  if (overrides.docker !== false) {
    cluster.docker_image = { url: overrides.imageUrl ?? `${REPOSITORY_URL}:fedcba9876543210fedcba9876543210fedcba98` };
  }
  return {
    job_id: Number(JOB_ID),
    creator_user_name: CLIENT_ID,
    run_as_user_name: CLIENT_ID,
    created_time: 1767225600000,
    settings: {
      name: JOB_NAME,
      description: "training of churn_model; managed by mlplatform, edit the catalog entry instead.",
      max_concurrent_runs: 1,
      timeout_seconds: 3600,
      run_as: { service_principal_name: CLIENT_ID },
      email_notifications: { on_failure: ["growth@acme-ml.example"], no_alert_for_skipped_runs: true },
      parameters: [
        { name: "git_sha", default: "fedcba9876543210fedcba9876543210fedcba98" },
        { name: "image_tag", default: "fedcba9876543210fedcba9876543210fedcba98" },
        { name: "image_digest", default: `sha256:${"ab".repeat(32)}` },
      ],
      tasks: [
        {
          task_key: "training",
          max_retries: 0,
          min_retry_interval_millis: 300000,
          retry_on_timeout: false,
          timeout_seconds: 3600,
          email_notifications: {},
          run_if: "ALL_SUCCESS",
          new_cluster: cluster,
          spark_python_task: {
            python_file: overrides.pythonFile ?? ENTRY_POINT,
            parameters: [
              "--git-sha",
              "{{job.parameters.git_sha}}",
              "--image-tag",
              "{{job.parameters.image_tag}}",
              "--image-digest",
              "{{job.parameters.image_digest}}",
            ],
          },
        },
      ],
      tags,
      format: "MULTI_TASK",
      queue: { enabled: true },
    },
  };
}

interface Recorded {
  method: string;
  path: string;
  query: Record<string, string>;
  body: string;
  status: number;
}

/** A Databricks workspace that knows one job and records every request. */
class FakeDatabricks {
  readonly requests: Recorded[] = [];
  /** Runs created, by idempotency token. */
  readonly runs = new Map<string, { runId: number; body: Json }>();
  /** Submits answered 503 after the run was created (the answer "lost on the way back"). */
  failSubmitsAfterCreating = 0;
  /** Refuse every submit with this message (400, as the workspace refuses an invalid request). */
  refuseSubmits?: string;
  job: Json = declaredJob();
  url = "";
  private server!: http.Server;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const target = new URL(req.url ?? "/", "http://127.0.0.1");
        const entry: Recorded = {
          method: req.method ?? "GET",
          path: target.pathname,
          query: Object.fromEntries(target.searchParams),
          body: Buffer.concat(chunks).toString("utf8"),
          status: 0,
        };
        this.requests.push(entry);
        const [status, payload] = this.route(entry, req.headers);
        entry.status = status;
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(payload));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  submits(): Recorded[] {
    return this.requests.filter((r) => r.path === "/api/2.1/jobs/runs/submit");
  }

  private route(r: Recorded, headers: http.IncomingHttpHeaders): [number, unknown] {
    const bad = (message: string): [number, unknown] => [
      400,
      { error_code: "INVALID_PARAMETER_VALUE", message },
    ];
    if (r.method === "POST" && r.path === "/oidc/v1/token") {
      const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
      const form = new URLSearchParams(r.body);
      if (
        headers.authorization !== basic ||
        headers["content-type"] !== "application/x-www-form-urlencoded" ||
        form.get("grant_type") !== "client_credentials" ||
        form.get("scope") !== "all-apis" ||
        [...form.keys()].length !== 2
      ) {
        return [401, { error: "invalid_client", error_description: "Client authentication failed" }];
      }
      return [200, { access_token: ACCESS_TOKEN, token_type: "Bearer", expires_in: 3600, scope: "all-apis" }];
    }
    if (headers.authorization !== `Bearer ${ACCESS_TOKEN}`) {
      return [401, { error_code: "UNAUTHENTICATED", message: "Invalid access token." }];
    }
    if (r.method === "GET" && r.path === "/api/2.1/jobs/get") {
      if (r.query.job_id !== JOB_ID) return bad(`Job ${r.query.job_id} does not exist.`);
      return [200, this.job];
    }
    if (r.method === "POST" && r.path === "/api/2.1/jobs/runs/submit") {
      if (headers["content-type"] !== "application/json") return bad("expected a JSON body");
      let body: Json;
      try {
        body = JSON.parse(r.body) as Json;
      } catch {
        return bad("malformed JSON");
      }
      const problem = this.refuseSubmits ?? submitProblem(body);
      if (problem) return bad(problem);
      const token = body.idempotency_token as string;
      let run = this.runs.get(token);
      if (!run) {
        run = { runId: 9001 + this.runs.size, body };
        this.runs.set(token, run);
      }
      if (this.failSubmitsAfterCreating > 0) {
        this.failSubmitsAfterCreating--;
        return [503, { error_code: "TEMPORARILY_UNAVAILABLE", message: "try again" }];
      }
      return [200, { run_id: run.runId }];
    }
    if (r.method === "GET" && r.path === "/api/2.1/jobs/runs/get") {
      const run = [...this.runs.values()].find((x) => String(x.runId) === r.query.run_id);
      if (!run) return bad(`Run ${r.query.run_id} does not exist.`);
      return [
        200,
        {
          run_id: run.runId,
          run_name: run.body.run_name,
          run_page_url: `${this.url}/?o=1234#job/999/run/${run.runId}`,
          state: { life_cycle_state: "PENDING", state_message: "Waiting for cluster" },
        },
      ];
    }
    return bad(`no such endpoint: ${r.method} ${r.path}`);
  }
}

/** What a real workspace would refuse in a runs/submit body, or what would train the wrong thing. */
function submitProblem(body: Json): string | undefined {
  if ("job_id" in body) return "job_id is not a field of a one-time run (that is run-now)";
  const unknown = Object.keys(body).filter((k) => !SUBMIT_RUN_FIELDS.has(k));
  if (unknown.length) return `unknown fields ${unknown.join(", ")}`;
  if (typeof body.run_name !== "string") return "run_name must be a string";
  const token = body.idempotency_token;
  if (typeof token !== "string" || token.length === 0 || token.length > 64) {
    return "idempotency_token must have at most 64 characters";
  }
  const tasks = body.tasks;
  if (!Array.isArray(tasks) || tasks.length === 0) return "tasks must not be empty";
  for (const task of tasks as Json[]) {
    if (typeof task.task_key !== "string" || !task.task_key) return "every task needs a task_key";
    const extra = Object.keys(task).filter((k) => !SUBMIT_TASK_FIELDS.has(k));
    if (extra.length) return `unknown task fields ${extra.join(", ")}`;
    const cluster = task.new_cluster as Json | undefined;
    const docker = cluster?.docker_image as Json | undefined;
    if (docker?.url !== IMAGE) return `task ${task.task_key} runs ${String(docker?.url)}, not ${IMAGE}`;
    const parameters = (task.spark_python_task as Json | undefined)?.parameters;
    if (!Array.isArray(parameters) || parameters.some((p) => typeof p !== "string" || p.includes("{{"))) {
      return "spark_python_task.parameters must be literal strings (a one-time run has no job parameters)";
    }
  }
  return undefined;
}

/** drone/envsubst on a command: `$$` is a literal `$`; anything Drone would substitute is refused. */
function droneSubstitute(command: string): string {
  return command.replace(/\$\$|\$[A-Za-z_{]/g, (m) => {
    if (m === "$$") return "$";
    throw new Error(`Drone would substitute "${m}..." in: ${command}`);
  });
}

/** drone-runner-docker's shell.Script for the commands (less its netrc and tmate preamble). */
function droneScript(commands: string[]): string {
  let script = "\nset -e\n\n";
  for (const command of commands) {
    // Go's %q of printable ASCII (and newlines) is JSON's string syntax.
    if (!/^[\x20-\x7e\n]*$/.test(command)) throw new Error(`non-ASCII command: ${command}`);
    script += `\necho + ${JSON.stringify(command).replace(/\$/g, "\\$")}\n${command}\n`;
  }
  return script;
}

interface StepRun {
  status: number | null;
  output: string;
}

/** Runs a step's commands in `workspace`, its script on the shell's standard input as Drone does. */
function runStep(
  step: Step,
  workspace: string,
  stubs: string,
  secrets: Record<string, string>,
): Promise<StepRun> {
  const env: Record<string, string> = {
    PATH: `${stubs}:/usr/bin:/bin`,
    HOME: workspace,
    LANG: "C.UTF-8",
    DRONE_BUILD_EVENT: "push",
    DRONE_COMMIT_BRANCH: "main",
    DRONE_COMMIT_SHA: SHA,
    DRONE_BUILD_NUMBER: BUILD,
    DRONE_REPO_NAME: "churn-model",
  };
  for (const [name, value] of Object.entries(step.environment ?? {})) {
    if (typeof value === "string") env[name] = value;
    else {
      const secret = secrets[value.from_secret];
      if (secret === undefined) throw new Error(`no value for secret ${value.from_secret}`);
      env[name] = secret;
    }
  }
  const script = droneScript((step.commands ?? []).map(droneSubstitute));
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/bash", [], { cwd: workspace, env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
    child.stdin.end(script);
  });
}

/** Writes the stubs: aws (knows `images`: tag -> digest), apk (no-op), curl (logs, then the real one). */
function writeStubs(dir: string, images: Record<string, string>): { awsLog: string; curlLog: string; apkLog: string } {
  const awsLog = path.join(dir, "aws.log");
  const curlLog = path.join(dir, "curl.log");
  const apkLog = path.join(dir, "apk.log");
  const aws = `#!${process.execPath}
// Stub of the AWS CLI v2: records each call and answers what the service would, formatted as the
// CLI formats it (--query on the answer, --output text: a list's values tab-separated on one line,
// null as None; checked against aws-cli 1.45.11 on a local endpoint, the same text formatter).
const fs = require("fs");
const args = process.argv.slice(2);
const env = {};
for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"]) {
  if (process.env[k] !== undefined) env[k] = process.env[k];
}
fs.appendFileSync(${JSON.stringify(awsLog)}, JSON.stringify({ args, env }) + "\\n");
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const images = ${JSON.stringify(images)};
let answer;
if (args[0] === "sts" && args[1] === "assume-role") {
  answer = {
    Credentials: { ...${JSON.stringify(ASSUMED)}, Expiration: "2030-01-01T00:00:00+00:00" },
    AssumedRoleUser: { AssumedRoleId: "AROAFAKE:" + opt("--role-session-name"), Arn: "arn:aws:sts::${ACCOUNT}:assumed-role/ci/" + opt("--role-session-name") },
  };
} else if (args[0] === "ecr" && args[1] === "describe-images") {
  const tag = (opt("--image-ids") || "").replace(/^imageTag=/, "");
  if (!(tag in images)) {
    process.stderr.write("\\nAn error occurred (ImageNotFoundException) when calling the DescribeImages operation: The image with imageId {imageDigest:'null', imageTag:'" + tag + "'} does not exist within the repository with name '" + opt("--repository-name") + "' in the registry with id '" + opt("--registry-id") + "'\\n");
    process.exit(254);
  }
  answer = { imageDetails: [{ registryId: opt("--registry-id"), repositoryName: opt("--repository-name"), imageDigest: images[tag], imageTags: [tag], imageSizeInBytes: 912345678, imagePushedAt: "2026-01-01T00:00:00+00:00", imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json" }] };
} else {
  process.stderr.write("aws stub: unexpected call " + args.join(" ") + "\\n");
  process.exit(252);
}
const queries = {
  "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]": (a) => [a.Credentials.AccessKeyId, a.Credentials.SecretAccessKey, a.Credentials.SessionToken],
  "imageDetails[0].imageDigest": (a) => (a.imageDetails[0] ? a.imageDetails[0].imageDigest : null),
};
const query = opt("--query");
if (query !== undefined && !(query in queries)) {
  process.stderr.write("aws stub: unsupported --query " + query + "\\n");
  process.exit(252);
}
const value = query === undefined ? answer : queries[query](answer);
if (opt("--output") === "text") {
  process.stdout.write((Array.isArray(value) ? value.join("\\t") : value === null ? "None" : String(value)) + "\\n");
} else {
  process.stdout.write(JSON.stringify(value, null, 4) + "\\n");
}
`;
  fs.writeFileSync(path.join(dir, "aws"), aws, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "apk"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${apkLog}'\n`, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "curl"),
    `#!/bin/bash\nprintf '%s\\0' "$@" >> '${curlLog}'\nprintf '\\n\\0' >> '${curlLog}'\nexec /usr/bin/curl "$@"\n`,
    { mode: 0o755 },
  );
  return { awsLog, curlLog, apkLog };
}

type Step = {
  name: string;
  image: string;
  when?: unknown;
  environment?: Record<string, string | { from_secret: string }>;
  settings?: Record<string, unknown>;
  commands?: string[];
};
type Pipeline = { name: string; steps: Step[] };

const text = render(resolved({}, "dev"), settingsOf("dev")).find((f) => f.path === ".drone.yml")!.content;
const train = YAML.parseAllDocuments(text)
  .map((d) => d.toJS() as Pipeline)
  .find((p) => p.name === "train")!;
const step = (name: string): Step => {
  const found = train.steps.find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name} in ${train.steps.map((s) => s.name).join(", ")}`);
  return found;
};

describe("the train pipeline's steps", () => {
  let server: FakeDatabricks;
  let root: string;
  let workspace: string;
  let stubs: string;
  let logs: { awsLog: string; curlLog: string; apkLog: string };
  let secrets: Record<string, string>;

  beforeEach(async () => {
    server = new FakeDatabricks();
    await server.start();
    root = tempDir("train-pipeline-");
    workspace = path.join(root, "src");
    stubs = path.join(root, "bin");
    fs.mkdirSync(workspace);
    fs.mkdirSync(stubs);
    logs = writeStubs(stubs, { [SHA]: DIGEST });
    secrets = {
      [PIPELINE_SECRETS.ciRoleArn.name]: ROLE_ARN,
      [PIPELINE_SECRETS.ecrRepositoryUrl.name]: REPOSITORY_URL,
      // The trailing slash is how a workspace URL is often pasted: the step trims it.
      [PIPELINE_SECRETS.databricksHost.name]: `${server.url}/`,
      [PIPELINE_SECRETS.databricksClientId.name]: CLIENT_ID,
      [PIPELINE_SECRETS.databricksClientSecret.name]: CLIENT_SECRET,
      [PIPELINE_SECRETS.trainingJobId.name]: JOB_ID,
    };
  });

  afterEach(async () => {
    await server.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const awsCalls = (): { args: string[]; env: Record<string, string> }[] =>
    fs.existsSync(logs.awsLog)
      ? fs
          .readFileSync(logs.awsLog, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { args: string[]; env: Record<string, string> })
      : [];
  const curlCommandLines = (): string[][] =>
    fs
      .readFileSync(logs.curlLog, "utf8")
      .split("\n\0")
      .filter((c) => c.length)
      .map((c) => c.split("\0").filter((a) => a.length));
  const expectOk = (result: StepRun): void => {
    if (result.status !== 0) throw new Error(`exit ${result.status}\n${result.output}`);
  };
  const trainCommit = async (): Promise<StepRun> => {
    expectOk(await runStep(step("image-digest"), workspace, stubs, secrets));
    return runStep(step("start-training"), workspace, stubs, secrets);
  };
  const expectedTask = (job: Json): Json => {
    const task = ((job.settings as Json).tasks as Json[])[0];
    return {
      ...task,
      new_cluster: { ...(task.new_cluster as Json), docker_image: { url: IMAGE } },
      spark_python_task: {
        python_file: ENTRY_POINT,
        parameters: ["--git-sha", SHA, "--image-tag", SHA, "--image-digest", DIGEST],
      },
    };
  };

  it("build, record the digest, then train; the build skips a tag that exists", () => {
    expect(train.steps.map((s) => s.name)).toEqual([
      "training-requested",
      "build-image",
      "image-digest",
      "start-training",
    ]);
    const build = step("build-image");
    // skip_push_if_tag_exists: drone-plugins/drone-docker cmd/drone-ecr/main.go, from v20.18.7.
    expect(build.image).toBe("plugins/ecr:20.18.7");
    expect(build.settings).toMatchObject({
      tags: ["${DRONE_COMMIT_SHA}"],
      skip_push_if_tag_exists: true,
      assume_role: { from_secret: PIPELINE_SECRETS.ciRoleArn.name },
    });
    expect(step("image-digest").image).toMatch(/^amazon\/aws-cli:\d+\.\d+\.\d+$/);
  });

  it("image-digest assumes the CI role and writes the digest of the commit's image", async () => {
    const result = await runStep(step("image-digest"), workspace, stubs, secrets);
    expectOk(result);
    expect(fs.readFileSync(path.join(workspace, ".image-digest"), "utf8")).toBe(`${DIGEST}\n`);
    expect(result.output).toContain(`image ${IMAGE} has digest ${DIGEST}`);
    const calls = awsCalls();
    expect(calls.map((c) => c.args)).toEqual([
      [
        "sts",
        "assume-role",
        "--role-arn",
        ROLE_ARN,
        "--role-session-name",
        `drone-build-${BUILD}`,
        "--query",
        "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]",
        "--output",
        "text",
      ],
      [
        "ecr",
        "describe-images",
        "--registry-id",
        ACCOUNT,
        "--repository-name",
        REPOSITORY_NAME,
        "--image-ids",
        `imageTag=${SHA}`,
        "--query",
        "imageDetails[0].imageDigest",
        "--output",
        "text",
      ],
    ]);
    // The runner's own credentials assume the role; the role's credentials describe the image.
    expect(calls[0].env).toEqual({ AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-1" });
    expect(calls[1].env).toEqual({
      AWS_REGION: "eu-west-1",
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: ASSUMED.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: ASSUMED.SecretAccessKey,
      AWS_SESSION_TOKEN: ASSUMED.SessionToken,
    });
    expect(result.output).not.toContain(ASSUMED.SecretAccessKey);
    expect(result.output).not.toContain(ASSUMED.SessionToken);
  });

  it("image-digest fails, writing nothing, when the commit has no image", async () => {
    logs = writeStubs(stubs, {});
    const result = await runStep(step("image-digest"), workspace, stubs, secrets);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("ImageNotFoundException");
    expect(fs.existsSync(path.join(workspace, ".image-digest"))).toBe(false);
  });

  it("start-training submits a one-time run of the job's task on the commit's image and never edits the job", async () => {
    const result = await trainCommit();
    expectOk(result);
    expect(server.requests.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
      ["POST", "/oidc/v1/token", {}, 200],
      ["GET", "/api/2.1/jobs/get", { job_id: JOB_ID }, 200],
      ["POST", "/api/2.1/jobs/runs/submit", {}, 200],
      ["GET", "/api/2.1/jobs/runs/get", { run_id: "9001" }, 200],
    ]);
    for (const r of server.requests) expect(r.path).not.toMatch(/jobs\/(update|reset|run-now)/);
    expect(JSON.parse(server.submits()[0].body)).toEqual({
      run_name: `${JOB_NAME} @ ${SHA.slice(0, 7)}`,
      tasks: [expectedTask(server.job)],
      timeout_seconds: 3600,
      idempotency_token: `${SHA}-${BUILD}`,
      email_notifications: { on_failure: ["growth@acme-ml.example"], no_alert_for_skipped_runs: true },
      access_control_list: [{ group_name: "growth", permission_level: "CAN_MANAGE_RUN" }],
    });
    expect(result.output.split("\n")).toContain(
      `Databricks training run 9001 of image ${IMAGE} (${DIGEST}) submitted: ${server.url}/?o=1234#job/999/run/9001`,
    );
    expect(fs.readFileSync(logs.apkLog, "utf8")).toBe("add --no-cache --quiet curl jq\n");
    // Credentials and the token reach curl on standard input only.
    const lines = curlCommandLines();
    expect(lines).toHaveLength(4);
    for (const args of lines) {
      const joined = args.join(" ");
      for (const secret of [CLIENT_SECRET, ACCESS_TOKEN, "Bearer"]) expect(joined).not.toContain(secret);
      expect(args).not.toContain("--user");
      expect(args).not.toContain("-u");
      expect(args).toContain("--config");
    }
    expect(result.output).not.toContain(CLIENT_SECRET);
    expect(result.output).not.toContain(ACCESS_TOKEN);
  });

  it("start-training trains the repository's entry point even while the job runs the placeholder", async () => {
    server.job = declaredJob({
      pythonFile: PLACEHOLDER_PYTHON_FILE,
      imageUrl: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-0123456789ab`,
    });
    expectOk(await trainCommit());
    const task = (JSON.parse(server.submits()[0].body) as { tasks: Json[] }).tasks[0];
    expect(task).toEqual(expectedTask(server.job));
    expect((task.spark_python_task as Json).python_file).toBe(ENTRY_POINT);
  });

  it("a retried submit (answer lost) and a re-run step reuse the run of the idempotency token", async () => {
    server.failSubmitsAfterCreating = 1;
    const first = await trainCommit();
    expectOk(first);
    expect(server.submits().map((r) => r.status)).toEqual([503, 200]);
    const second = await runStep(step("start-training"), workspace, stubs, secrets);
    expectOk(second);
    const submits = server.submits();
    expect(submits).toHaveLength(3);
    expect(new Set(submits.map((r) => (JSON.parse(r.body) as Json).idempotency_token))).toEqual(
      new Set([`${SHA}-${BUILD}`]),
    );
    expect(server.runs.size).toBe(1);
    for (const result of [first, second]) {
      expect(result.output).toMatch(/^Databricks training run 9001 of image /m);
    }
    for (const r of server.requests) expect(r.path).not.toMatch(/jobs\/(update|reset|run-now)/);
  });

  it("start-training refuses a job without a task running a Docker image and submits nothing", async () => {
    server.job = declaredJob({ docker: false });
    const result = await trainCommit();
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(`the training job ${JOB_ID} has 0 tasks running a Docker image`);
    expect(server.submits()).toEqual([]);
  });

  it("start-training stops, showing the workspace's error, when runs/submit refuses the run", async () => {
    server.refuseSubmits = "Cluster validation error: node type m5d.large is not supported";
    const result = await trainCommit();
    expect(result.status).not.toBe(0);
    expect(result.output).toContain("Cluster validation error: node type m5d.large is not supported");
    expect(result.output).not.toMatch(/^Databricks training run \d/m);
    expect(server.submits().map((r) => r.status)).toEqual([400]);
    expect(server.requests.some((r) => r.path === "/api/2.1/jobs/runs/get")).toBe(false);
  });

  it("start-training stops on a workspace that refuses the client's credentials", async () => {
    secrets[PIPELINE_SECRETS.databricksClientSecret.name] = "wrong-secret";
    const result = await trainCommit();
    expect(result.status).not.toBe(0);
    expect(server.requests.map((r) => [r.path, r.status])).toEqual([["/oidc/v1/token", 401]]);
  });
});
