import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadCatalog } from "../../catalog/load";
import { resolveService, servicesForStack } from "../../catalog/resolve";
import { ResolvedService, ServiceEntry } from "../../catalog/types";
import { productionEnvironmentsOf, RenderedFile, renderServiceRepository } from "../../program/render";
import { StackSettings } from "../../catalog/settings";
import { readStacks, StackInfo } from "../../catalog/stacks";

export const ACCOUNT = "000000000000";
export const BASE_IMAGE = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/mlp/base-dev:base-0123456789ab`;

export function stacks(): StackInfo[] {
  return readStacks();
}

export function settingsOf(stack: string): StackSettings {
  const info = stacks().find((s) => s.stack === stack);
  if (!info) throw new Error(`no stack ${stack}`);
  return info.settings;
}

/** Every example service as each stack deploys it. */
export function examples(): { stack: string; service: ResolvedService; settings: StackSettings }[] {
  const all = stacks();
  const catalog = loadCatalog(path.join(__dirname, "..", "..", "services"), all);
  return all.flatMap((s) =>
    servicesForStack(catalog, s.settings).map((service) => ({
      stack: s.stack,
      service,
      settings: s.settings,
    })),
  );
}

/** Renders as the program does: the production environments come from every stack file. */
export function render(service: ResolvedService, settings: StackSettings): RenderedFile[] {
  return renderServiceRepository(service, settings, {
    baseImage: BASE_IMAGE,
    accountId: ACCOUNT,
    productionEnvironments: productionEnvironmentsOf(stacks()),
  });
}

/** A valid entry to vary in tests. */
export function entry(overrides: Partial<ServiceEntry> = {}): ServiceEntry {
  return {
    name: "churn-model",
    displayName: "Churn model",
    description: "Predicts churn.",
    team: "growth",
    owners: ["alice-ml"],
    template: "sklearn",
    environments: ["dev", "prod"],
    training: { entryPoint: "train", workers: 1, timeoutMinutes: 60, retries: 0, timezone: "UTC" },
    batchPrediction: {
      entryPoint: "predict",
      workers: 1,
      timeoutMinutes: 60,
      retries: 0,
      schedule: "0 4 * * *",
      timezone: "UTC",
    },
    evaluation: {},
    artifacts: {},
    notifications: { emails: ["growth@acme-ml.example"] },
    repository: { visibility: "private", topics: [] },
    images: {},
    adopt: {},
    decommissioned: false,
    ...overrides,
  };
}

export function resolved(overrides: Partial<ServiceEntry>, stack: string): ResolvedService {
  return resolveService(entry(overrides), settingsOf(stack));
}

export function writeRepository(dir: string, files: RenderedFile[]): void {
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content);
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ToolResult {
  status: number | null;
  output: string;
}

/** Runs a tool; the output (stdout + stderr) explains a failure in the test's message. */
export function run(command: string, args: string[], cwd?: string, input?: string): ToolResult {
  const result = spawnSync(command, args, {
    cwd,
    input,
    encoding: "utf8",
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Like run, without blocking: tools of several repositories run side by side. */
export function runAsync(command: string, args: string[], cwd?: string): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output: `${stdout}${stderr}` }));
  });
}

/** Debian's Python, which sees Debian's pytest, scikit-learn, pandas and PyYAML. */
export const PYTHON = "/usr/bin/python3";

/** What one program run by a PythonForks server gave. */
export interface PythonResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs Python programs through tests/templates/standin/fork_server.py. */
export interface PythonForks {
  /** `python ...args` in a process of its own, with exactly `env` and `cwd`. */
  run(args: string[], env: Record<string, string>, cwd?: string): Promise<PythonResult>;
  close(): Promise<void>;
}

/**
 * Starts Debian's Python once with `modules` imported (numpy, pandas, scikit-learn cost about 2 s
 * of CPU per interpreter): each program then runs in a child forked from it, a process of its own
 * as a job run is, that starts with those libraries already loaded.
 */
export function pythonForks(modules: readonly string[]): PythonForks {
  const server = spawn(PYTHON, [path.join(__dirname, "standin", "fork_server.py"), ...modules], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const waiting: { resolve: (r: PythonResult) => void; reject: (e: Error) => void }[] = [];
  let buffered = "";
  let errors = "";
  const fail = (error: Error) => {
    for (const w of waiting.splice(0)) w.reject(error);
  };
  server.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      waiting.shift()?.resolve(JSON.parse(line) as PythonResult);
    }
  });
  server.stderr.setEncoding("utf8").on("data", (chunk: string) => (errors += chunk));
  server.on("error", fail);
  const exited = new Promise<void>((resolve) =>
    server.on("close", (status) => {
      fail(new Error(`fork_server.py exited with ${status}\n${errors}`));
      resolve();
    }),
  );
  return {
    run(args, env, cwd) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        server.stdin.write(`${JSON.stringify({ argv: args, env, cwd: cwd ?? null })}\n`);
      });
    },
    close() {
      server.stdin.end();
      return exited;
    },
  };
}
