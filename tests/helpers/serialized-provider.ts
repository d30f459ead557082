/**
 * Dynamic providers as the engine runs them: Pulumi serializes the provider object into the state
 * and the provider host loads that text with plain node (no TypeScript, no project modules). These
 * helpers write the serialized text outside the project and run one method of it in a plain
 * `node` child process.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** Serializes `provider` the way pulumi.dynamic.Resource does, into `dir/file`; returns the path. */
export async function writeSerialized(
  provider: object,
  dir: string,
  file: string,
): Promise<string> {
  const { text } = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const target = path.join(dir, file);
  fs.writeFileSync(target, text);
  return target;
}

/** The modules the serialized text requires (any quotes), sorted and without repeats. */
export function requiredModules(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const found = [...text.matchAll(/require\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
  return [...new Set(found)].sort();
}

/** The SDK's own require-from-string, which its provider host evaluates the text with. */
const REQUIRE_FROM_STRING = require.resolve("require-from-string", {
  paths: [path.dirname(require.resolve("@pulumi/pulumi"))],
});

/** The project directory: where the engine starts the provider host. */
export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/**
 * Runs `method` of the serialized provider in a child node; arguments travel by environment. Its
 * stdout is `{"ok": result}` or `{"error": message, "stack": stack}`.
 *
 * `host: true` evaluates the text as the engine's provider host does: `require-from-string` with
 * no file name, so `require` resolves from the working directory, `cwd` (the project by default)
 * (@pulumi/pulumi cmd/dynamic-provider/index.js getProvider). Otherwise the file is required from
 * its own directory.
 */
export function runSerialized(
  file: string,
  method: "check" | "diff" | "create" | "read" | "update" | "delete",
  args: unknown[],
  options: { host?: boolean; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const load = options.host
    ? `require(${JSON.stringify(REQUIRE_FROM_STRING)})(require("fs").readFileSync(process.argv[1], "utf8"))`
    : "require(process.argv[1])";
  const script = `
    const provider = ${load}.handler();
    const args = JSON.parse(process.env.PROVIDER_ARGS);
    provider[process.argv[2]](...args).then(
      (r) => process.stdout.write(JSON.stringify({ ok: r === undefined ? null : r })),
      (e) => process.stdout.write(JSON.stringify({ error: e.message, stack: e.stack })),
    );`;
  const cwd = options.host ? (options.cwd ?? PROJECT_DIR) : path.dirname(file);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script, file, method], {
      cwd,
      env: { PATH: process.env.PATH ?? "", PROVIDER_ARGS: JSON.stringify(args) },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ stdout, stderr, code }));
  });
}
